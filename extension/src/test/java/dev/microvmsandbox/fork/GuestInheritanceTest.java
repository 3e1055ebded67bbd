package dev.microvmsandbox.fork;

import static org.assertj.core.api.Assertions.assertThat;

import dev.microvmsandbox.settings.ProjectSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GuestInheritanceTest {

    private static ProjectSettings sandbox(Map<String, String> values, Map<String, String> hostEnv) {
        return ProjectSettings.read(k -> Optional.ofNullable(values.get(k)), hostEnv::get, "setting");
    }

    @Test
    void theGuestGetsThePomsVariablesAndTheOptedInOnesNotTheHostsEnvironment() {
        ForkSettings settings = ForkSettings.builder(Path.of("/p"), Path.of("/j"))
                .pomEnvironmentVariable("APP_MODE", "ci")
                .pomEnvironmentVariable("ONLY_IN_ANOTHER_EXECUTION", "x")
                .pomEnvironmentVariable("FORK_DB", "db_${surefire.forkNumber}")
                .build();
        Map<String, String> launcher = new LinkedHashMap<>();
        launcher.put("APP_MODE", "ci");
        launcher.put("ONLY_IN_ANOTHER_EXECUTION", "the host's own value");
        launcher.put("FORK_DB", "db_2");
        launcher.put("AWS_SECRET_ACCESS_KEY", "do not pass");
        launcher.put("HOME", "/root");
        launcher.put("CI", "true");
        ProjectSettings opted = sandbox(Map.of("microvm.sandbox.env", "CI,EXTRA=1"), launcher);

        GuestInheritance.Decision d = GuestInheritance.environment(launcher, settings, opted);

        assertThat(d.passed())
                .containsOnly(
                        Map.entry("APP_MODE", "ci"),
                        Map.entry("FORK_DB", "db_2"),
                        Map.entry("CI", "true"),
                        Map.entry("EXTRA", "1"));
        assertThat(d.withheld()).containsExactly("ONLY_IN_ANOTHER_EXECUTION");
    }

    @Test
    void theGuestGetsThePomsSystemPropertiesJUnitsAndTheOptedInOnes(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("test.properties"), "from.file=1\n");
        ForkSettings settings = ForkSettings.builder(Path.of("/p"), Path.of("/j"))
                .pomSystemProperty("db.url")
                .pomSystemPropertiesFile(file)
                .build();
        Map<String, String> surefire = new LinkedHashMap<>();
        surefire.put("db.url", "jdbc:tc:postgresql:16:///x");
        surefire.put("from.file", "1");
        surefire.put("basedir", "/p");
        surefire.put("localRepository", "/root/.m2/repository");
        surefire.put("junit.jupiter.execution.parallel.enabled", "true");
        surefire.put("spring.profiles.active", "test");
        surefire.put("deploy.token", "secret from the mvn command line");

        GuestInheritance.Decision d = GuestInheritance.systemProperties(
                surefire, settings, sandbox(Map.of("microvm.sandbox.systemProperties", "spring.*"), Map.of()));

        assertThat(d.passed()).doesNotContainKey("deploy.token").hasSize(6);
        assertThat(d.withheld()).containsExactly("deploy.token");
    }
}
