package dev.microvmsandbox.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.microvmsandbox.MicroVmSandbox;
import dev.microvmsandbox.backend.Accelerator;
import dev.microvmsandbox.backend.SandboxConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class SandboxSettingsTest {

    private static final SandboxConfig BASE = SandboxConfig.defaults();

    @Test
    void defaultsWithoutParametersOrAnnotationValues() {
        SandboxSettings s = SandboxSettings.resolve(BASE, params(Map.of()), SandboxAnnotation.DEFAULTS);

        assertThat(s.config()).isEqualTo(BASE);
        assertThat(s.classTimeout()).isEqualTo(Duration.ofMinutes(30));
        assertThat(s.isolation()).isEqualTo(MicroVmSandbox.Isolation.PER_RUN);
    }

    @Test
    void parametersGiveDefaultsAndAnnotationOverrides() {
        Map<String, String> p = Map.of(
                "microvm.sandbox.memory",
                "512m",
                "microvm.sandbox.cpus",
                "3",
                "microvm.sandbox.timeout",
                "2m",
                "microvm.sandbox.isolation",
                "per-class",
                "microvm.sandbox.accelerator",
                "tcg",
                "microvm.sandbox.requireKvm",
                "true");

        SandboxSettings fromParameters = SandboxSettings.resolve(BASE, params(p), SandboxAnnotation.DEFAULTS);
        SandboxSettings overridden = SandboxSettings.resolve(
                BASE, params(p), new SandboxAnnotation("3g", 1, "90s", List.of(), List.of("A=1"), "PER_RUN"));

        assertThat(fromParameters.config().memory().mebibytes()).isEqualTo(512);
        assertThat(fromParameters.config().cpus()).isEqualTo(3);
        assertThat(fromParameters.config().accelerator()).isEqualTo(Accelerator.TCG);
        assertThat(fromParameters.config().requireHardwareIsolation()).isTrue();
        assertThat(fromParameters.classTimeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(fromParameters.isolation()).isEqualTo(MicroVmSandbox.Isolation.PER_CLASS);
        assertThat(overridden.config().memory().mebibytes()).isEqualTo(3072);
        assertThat(overridden.config().cpus()).isEqualTo(1);
        assertThat(overridden.config().env()).containsEntry("A", "1");
        assertThat(overridden.classTimeout()).isEqualTo(Duration.ofSeconds(90));
        assertThat(overridden.isolation()).isEqualTo(MicroVmSandbox.Isolation.PER_RUN);
    }

    @Test
    void imagesFromTheParameterComeFirstAndAddUpWithTheAnnotations() {
        Map<String, String> p = Map.of(
                "microvm.sandbox.images",
                " docker-archive:target/images/postgres.tar,\n redis:7  docker-archive:target/images/postgres.tar ,");

        SandboxSettings fromParameter = SandboxSettings.resolve(BASE, params(p), SandboxAnnotation.DEFAULTS);
        SandboxSettings both = SandboxSettings.resolve(
                BASE,
                params(p),
                new SandboxAnnotation("", 0, "", List.of("redis:7", "oci-archive:x.tar"), List.of(), "DEFAULT"));

        assertThat(fromParameter.images()).containsExactly("docker-archive:target/images/postgres.tar", "redis:7");
        assertThat(both.images())
                .containsExactly("docker-archive:target/images/postgres.tar", "redis:7", "oci-archive:x.tar");
        assertThat(SandboxSettings.resolve(BASE, params(Map.of()), SandboxAnnotation.DEFAULTS)
                        .images())
                .isEmpty();
    }

    @Test
    void wrongAnnotationValuesNameTheAttributeAndAnExample() {
        assertThatThrownBy(() -> resolve(new SandboxAnnotation("lots", 0, "", List.of(), List.of(), "DEFAULT")))
                .hasMessageContaining("memory = \"lots\"")
                .hasMessageContaining("memory = \"2g\"");
        assertThatThrownBy(() -> resolve(new SandboxAnnotation("", -1, "", List.of(), List.of(), "DEFAULT")))
                .hasMessageContaining("cpus = -1")
                .hasMessageContaining("cpus = 2");
        assertThatThrownBy(() -> resolve(new SandboxAnnotation("", 0, "soon", List.of(), List.of(), "DEFAULT")))
                .hasMessageContaining("timeout = \"soon\"")
                .hasMessageContaining("timeout = \"10m\"");
        assertThatThrownBy(() -> resolve(new SandboxAnnotation("", 0, "", List.of(), List.of("NOVALUE"), "DEFAULT")))
                .hasMessageContaining("env = [NOVALUE]")
                .hasMessageContaining("NAME=value");
    }

    @Test
    void wrongParametersNameTheKeyAndAnExample() {
        assertThatThrownBy(() -> SandboxSettings.resolve(BASE, params(Map.of("microvm.sandbox.memory", "lots")), null))
                .hasMessageContaining("microvm.sandbox.memory=lots")
                .hasMessageContaining("microvm.sandbox.memory=2g");
        assertThatThrownBy(() ->
                        SandboxSettings.resolve(BASE, params(Map.of("microvm.sandbox.isolation", "shared")), null))
                .hasMessageContaining("microvm.sandbox.isolation=per_class");
        assertThatThrownBy(() -> SandboxSettings.strictMode(params(Map.of("microvm.sandbox.mode", "paranoid"))))
                .hasMessageContaining("microvm.sandbox.mode=strict");
        assertThat(SandboxSettings.strictMode(params(Map.of("microvm.sandbox.mode", "STRICT"))))
                .isTrue();
        assertThat(SandboxSettings.strictMode(params(Map.of()))).isFalse();
    }

    private static SandboxSettings resolve(SandboxAnnotation a) {
        return SandboxSettings.resolve(BASE, params(Map.of()), a);
    }

    private static Function<String, Optional<String>> params(Map<String, String> map) {
        return key -> Optional.ofNullable(map.get(key));
    }
}
