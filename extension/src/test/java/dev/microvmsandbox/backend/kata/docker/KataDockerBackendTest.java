package dev.microvmsandbox.backend.kata.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.microvmsandbox.backend.SandboxConfig;
import dev.microvmsandbox.backend.SandboxException;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Settings and refusals, decided before any engine is asked (the engine itself: {@code KataDockerIT}). */
class KataDockerBackendTest {

    private static KataDockerBackend backend(Map<String, String> settings) {
        return KataDockerBackend.create(name -> Optional.ofNullable(settings.get(name)));
    }

    @Test
    void aRuntimeWithoutAVmIsRefusedNamingTheSettingThatWouldAllowIt() {
        KataDockerBackend crun = backend(Map.of(
                "microvm.sandbox.kata.runtime", "crun", "microvm.sandbox.kata.dockerHost", "unix:///nowhere.sock"));
        assertThatThrownBy(() -> crun.start(SandboxConfig.defaults()))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("runtime crun is not a VM runtime")
                .hasMessageContaining("microvm.sandbox.kata.runtime=io.containerd.kata.v2")
                .hasMessageContaining("microvm.sandbox.kata.allowNoVmBoundary=true");
    }

    @Test
    void requiringHardwareIsolationRefusesARuntimeWithoutAVmEvenWhereAllowed() {
        KataDockerBackend crun = backend(Map.of(
                "microvm.sandbox.kata.runtime", "crun",
                "microvm.sandbox.kata.allowNoVmBoundary", "true",
                "microvm.sandbox.kata.dockerHost", "unix:///nowhere.sock"));
        assertThatThrownBy(() -> crun.start(SandboxConfig.defaults().withRequireHardwareIsolation(true)))
                .hasMessageContaining("must run in a VM");
    }

    @Test
    void anEngineThatIsNotThereIsNamedWithWhatToStart() {
        KataDockerBackend kata = backend(Map.of("microvm.sandbox.kata.dockerHost", "unix:///nowhere/docker.sock"));
        assertThat(kata.availability().usable()).isFalse();
        assertThat(kata.availability().problems())
                .singleElement()
                .asString()
                .contains("no Docker Engine API at unix:///nowhere/docker.sock")
                .contains("microvm.sandbox.kata.dockerHost");
    }

    @Test
    void wrongSettingsSayWhichAndHowToWriteThem() {
        KataDockerBackend wrong = backend(Map.of("microvm.sandbox.kata.dockerHost", "/var/run/docker.sock"));
        assertThat(wrong.availability().problems())
                .singleElement()
                .asString()
                .contains("microvm.sandbox.kata.dockerHost=/var/run/docker.sock is wrong")
                .contains("unix:///var/run/docker.sock");
        assertThat(backend(Map.of("microvm.sandbox.kata.allowNoVmBoundary", "yes"))
                        .availability()
                        .problems())
                .singleElement()
                .asString()
                .contains("allowNoVmBoundary=yes is wrong");
    }

    @Test
    void theDefaultsAreKataAndTheUsualSockets() {
        KataDockerSettings s = KataDockerSettings.read(name -> Optional.empty(), name -> null);
        assertThat(s.runtime()).isEqualTo("io.containerd.kata.v2");
        assertThat(s.allowNoVmBoundary()).isFalse();
        assertThat(s.endpoint()).startsWith("unix://");
        KataDockerSettings fromEnv = KataDockerSettings.read(
                name -> Optional.empty(), name -> name.equals("DOCKER_HOST") ? "tcp://ci:2375" : null);
        assertThat(fromEnv.endpoint()).isEqualTo("tcp://ci:2375");
        assertThat(backend(Map.of("microvm.sandbox.kata.dockerHost", "tcp://ci:2375"))
                        .usesHostMemory())
                .isFalse();
    }
}
