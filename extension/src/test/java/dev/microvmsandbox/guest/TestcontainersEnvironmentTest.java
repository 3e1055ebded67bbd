package dev.microvmsandbox.guest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.microvmsandbox.testcontainers.PreloadedImagePullPolicy;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestcontainersEnvironmentTest {

    @TempDir
    Path home;

    @Test
    void writesAFreshUserFileAndDockerHostProperty() throws Exception {
        Files.writeString(
                home.resolve(".testcontainers.properties"), "tc.host=tcp://evil:2375\ndocker.host=tcp://host:2375\n");
        Properties system = new Properties();
        system.setProperty("user.home", home.toString());
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Path file = TestcontainersEnvironment.apply(
                Map.of(
                        "SANDBOX_PODMAN_SOCKET",
                        "/run/podman/podman.sock",
                        "DOCKER_HOST",
                        "unix:///run/podman/podman.sock",
                        "TESTCONTAINERS_RYUK_DISABLED",
                        "true",
                        "TESTCONTAINERS_CHECKS_DISABLE",
                        "true"),
                system,
                new PrintStream(log, true, StandardCharsets.UTF_8),
                true);
        Properties written = new Properties();
        try (var in = Files.newInputStream(file)) {
            written.load(in);
        }
        assertThat(written.getProperty("docker.host")).isEqualTo("unix:///run/podman/podman.sock");
        assertThat(written.getProperty("checks.disable")).isEqualTo("true");
        assertThat(written.getProperty("docker.client.strategy"))
                .endsWith("EnvironmentAndSystemPropertyClientProviderStrategy");
        assertThat(written).doesNotContainKey("tc.host");
        assertThat(written.getProperty("pull.policy")).isEqualTo(PreloadedImagePullPolicy.class.getName());
        assertThat(system.getProperty("DOCKER_HOST")).isEqualTo("unix:///run/podman/podman.sock");
        assertThat(log.toString(StandardCharsets.UTF_8)).isEmpty();
        try (var dir = Files.list(home)) {
            assertThat(dir).containsExactly(file);
        }
    }

    @Test
    void warnsWhenTheBootstrapForgotTheEnvironment() throws Exception {
        Properties system = new Properties();
        system.setProperty("user.home", home.toString());
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        TestcontainersEnvironment.apply(
                Map.of("TESTCONTAINERS_HOST_OVERRIDE", "x"),
                system,
                new PrintStream(log, true, StandardCharsets.UTF_8),
                false);
        assertThat(log.toString(StandardCharsets.UTF_8))
                .contains("TESTCONTAINERS_RYUK_DISABLED=true is not set")
                .contains("TESTCONTAINERS_HOST_OVERRIDE is set");
    }

    @Test
    void namesNoPullPolicyWithoutTestcontainers() throws Exception {
        Properties system = new Properties();
        system.setProperty("user.home", home.toString());
        Path file = TestcontainersEnvironment.apply(
                Map.of(), system, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), false);
        Properties written = new Properties();
        try (var in = Files.newInputStream(file)) {
            written.load(in);
        }
        // a class name Testcontainers could not load would fail every container
        assertThat(written).doesNotContainKey("pull.policy");
    }

    @Test
    void seesTestcontainersOnThisClasspath() {
        assertThat(getClass().getClassLoader().getResource(TestcontainersEnvironment.TESTCONTAINERS_POLICY_TYPE))
                .isNotNull();
    }
}
