package dev.microvmsandbox.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.microvmsandbox.MicroVmSandbox;
import dev.microvmsandbox.backend.Accelerator;
import dev.microvmsandbox.backend.ByteSize;
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
                "true",
                "microvm.sandbox.disk",
                "20g",
                "microvm.sandbox.bootTimeout",
                "7m");

        SandboxSettings fromParameters = SandboxSettings.resolve(BASE, params(p), SandboxAnnotation.DEFAULTS);
        SandboxSettings overridden = SandboxSettings.resolve(
                BASE, params(p), new SandboxAnnotation("3g", 1, "90s", List.of(), List.of("A=1"), "PER_RUN", "512m"));

        assertThat(fromParameters.config().memory().mebibytes()).isEqualTo(512);
        assertThat(fromParameters.config().disk()).isEqualTo(ByteSize.parse("20g"));
        assertThat(fromParameters.config().bootTimeout()).isEqualTo(Duration.ofMinutes(7));
        assertThat(overridden.config().disk()).isEqualTo(ByteSize.parse("512m"));
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
    void projectImagesAndEnvironmentComeFirstAndTheAnnotationAddsToThem() {
        Map<String, String> p = Map.of(
                "microvm.sandbox.images", "postgres:16-alpine,redis:7",
                "microvm.sandbox.env", "MODE=project,SHARED=1");

        SandboxSettings s = SandboxSettings.resolve(
                BASE,
                params(p),
                new SandboxAnnotation(
                        "", 0, "", List.of("redis:7", "docker-archive:a.tar"), List.of("MODE=class"), "DEFAULT"));

        assertThat(s.images()).containsExactly("postgres:16-alpine", "redis:7", "docker-archive:a.tar");
        assertThat(s.config().env()).containsEntry("MODE", "class").containsEntry("SHARED", "1");
    }

    @Test
    void onlyOptedInSystemPropertiesReachTheGuestJvm() {
        System.setProperty("msb.test.opted.in", "yes");
        try {
            SandboxSettings s = SandboxSettings.resolve(
                    BASE, params(Map.of("microvm.sandbox.systemProperties", "msb.test.opted.*")), null);

            assertThat(s.config().systemProperties()).containsExactly(Map.entry("msb.test.opted.in", "yes"));
            assertThat(resolve(null).config().systemProperties()).isEmpty();
        } finally {
            System.clearProperty("msb.test.opted.in");
        }
    }

    @Test
    void imagesFromTheParameterComeFirstAndAddUpWithTheAnnotations() {
        Map<String, String> p = Map.of(
                "microvm.sandbox.images",
                " docker-archive:target/images/postgres.tar,\n redis:7\n  docker-archive:target/images/postgres.tar ,");

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
        assertThatThrownBy(() -> resolve(new SandboxAnnotation("", 0, "", List.of(), List.of(), "DEFAULT", "tiny")))
                .hasMessageContaining("disk = \"tiny\"")
                .hasMessageContaining("is not a size")
                .hasMessageContaining("disk = \"512m\"");
        assertThatThrownBy(() -> resolve(new SandboxAnnotation("", 0, "", List.of(), List.of(), "DEFAULT", "16m")))
                .hasMessageContaining("disk must be at least 64m");
        assertThatThrownBy(() -> resolve(new SandboxAnnotation("", 0, "", List.of(), List.of("NOVALUE"), "DEFAULT")))
                .hasMessageContaining("env = [NOVALUE]")
                .hasMessageContaining("NAME=value");
    }

    @Test
    void wrongParametersNameTheKeyAndAnExample() {
        assertThatThrownBy(() -> SandboxSettings.resolve(BASE, params(Map.of("microvm.sandbox.memory", "lots")), null))
                .hasMessageContaining("microvm.sandbox.memory=lots")
                .hasMessageContaining("microvm.sandbox.memory=2g");
        assertThatThrownBy(() -> SandboxSettings.resolve(BASE, params(Map.of("microvm.sandbox.disk", "lots")), null))
                .hasMessageContaining("microvm.sandbox.disk=lots")
                .hasMessageContaining("microvm.sandbox.disk=8g");
        assertThatThrownBy(() ->
                        SandboxSettings.resolve(BASE, params(Map.of("microvm.sandbox.bootTimeout", "soon")), null))
                .hasMessageContaining("microvm.sandbox.bootTimeout=soon")
                .hasMessageContaining("microvm.sandbox.bootTimeout=5m");
        assertThat(SandboxSettings.resolve(BASE, params(Map.of("microvm.sandbox.bootTimeout", " ")), null)
                        .config()
                        .bootTimeout())
                .isEqualTo(SandboxConfig.defaults().bootTimeout());
        assertThatThrownBy(() ->
                        SandboxSettings.resolve(BASE, params(Map.of("microvm.sandbox.isolation", "shared")), null))
                .hasMessageContaining("microvm.sandbox.isolation=per_class");
    }

    private static SandboxSettings resolve(SandboxAnnotation a) {
        return SandboxSettings.resolve(BASE, params(Map.of()), a);
    }

    private static Function<String, Optional<String>> params(Map<String, String> map) {
        return key -> Optional.ofNullable(map.get(key));
    }
}
