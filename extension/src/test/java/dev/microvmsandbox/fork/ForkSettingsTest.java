package dev.microvmsandbox.fork;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ForkSettingsTest {

    @Test
    void whatThePluginWritesTheLauncherReadsBack(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("microvm-sandbox/settings.properties");
        ForkSettings.builder(Path.of("/work/project"), Path.of("/usr/lib/jvm/java-21"))
                .sandbox("microvm.sandbox.memory", "1g")
                .sandbox("microvm.sandbox.images", "docker-archive:a.tar,redis:7")
                .sandbox("microvm.sandbox.env", "A=1,B=x\\,y")
                .sandbox("microvm.sandbox.cpus", " ")
                .pomSystemProperty("db.url")
                .pomSystemProperty("weird,name")
                .pomSystemPropertiesFile(Path.of("/work/project/test.properties"))
                .pomEnvironmentVariable("MODE", "ci")
                .pomEnvironmentVariable("MODE", "")
                .pomEnvironmentVariable("FORK", "n${surefire.forkNumber}")
                .build()
                .write(file);

        ForkSettings s = ForkSettings.read(file);

        assertThat(s.projectDir()).isEqualTo(Path.of("/work/project"));
        assertThat(s.javaHome()).isEqualTo(Path.of("/usr/lib/jvm/java-21"));
        assertThat(s.sandboxValues())
                .containsOnlyKeys("microvm.sandbox.memory", "microvm.sandbox.images", "microvm.sandbox.env");
        assertThat(s.sandbox(n -> null).images()).containsExactly("docker-archive:a.tar", "redis:7");
        assertThat(s.sandbox(n -> null).env()).containsEntry("B", "x,y");
        assertThat(s.pomSystemProperties()).containsExactlyInAnyOrder("db.url", "weird,name");
        assertThat(s.pomSystemPropertiesFiles()).containsExactly(Path.of("/work/project/test.properties"));
        assertThat(s.pomEnvironment())
                .containsEntry("MODE", List.of("ci", ""))
                .containsEntry("FORK", List.of("n${surefire.forkNumber}"));
        try (var files = Files.list(file.getParent())) {
            assertThat(files).as("no temporary file left").hasSize(1);
        }
    }

    @Test
    void forkCountIsSandboxesOrSandboxesPerCore(@TempDir Path dir) throws IOException {
        assertThat(ForkSettings.forkCount("3", 8)).isEqualTo(3);
        assertThat(ForkSettings.forkCount("1C", 8)).isEqualTo(8);
        assertThat(ForkSettings.forkCount("0.5C", 2)).isEqualTo(1);
        assertThat(ForkSettings.forkCount("0.1C", 2)).as("at least one").isEqualTo(1);
        assertThatThrownBy(() -> ForkSettings.forkCount("0", 2)).hasMessageContaining("Maven's own JVM");
        assertThatThrownBy(() -> ForkSettings.forkCount("0C", 2)).hasMessageContaining("Maven's own JVM");
        assertThatThrownBy(() -> ForkSettings.forkCount("two", 2)).hasMessageContaining("neither a number");
        assertThatThrownBy(() -> ForkSettings.forkCount("65", 2)).hasMessageContaining("at most 64");
        assertThatThrownBy(() -> ForkSettings.reuseForks("no")).hasMessageContaining("neither true nor false");

        Path file = dir.resolve("settings.properties");
        ForkSettings.builder(Path.of("/p"), Path.of("/j"))
                .forks(2, false)
                .build()
                .write(file);
        ForkSettings s = ForkSettings.read(file);
        assertThat(s.forkCount()).isEqualTo(2);
        assertThat(s.reuseForks()).isFalse();
        ForkSettings.builder(Path.of("/p"), Path.of("/j")).build().write(file);
        assertThat(ForkSettings.read(file).forkCount()).isEqualTo(1);
        assertThat(ForkSettings.read(file).reuseForks()).isTrue();
    }

    @Test
    void aWrongSettingFailsWhenThePluginWritesIt() {
        ForkSettings.Builder b = ForkSettings.builder(Path.of("/p"), Path.of("/j"));
        assertThatThrownBy(() -> b.sandbox("microvm.sandbox.colour", "red")).hasMessageContaining("not one of");
        assertThatThrownBy(() -> b.sandbox("microvm.sandbox.memory", "lots").build())
                .hasMessageContaining("setting microvm.sandbox.memory=lots is wrong");
    }

    @Test
    void aFileThePluginDidNotWriteIsRefused(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("x.properties"), "microvm.sandbox.memory=1g\n");
        assertThatThrownBy(() -> ForkSettings.read(file)).hasMessageContaining("prepare goal");
        assertThat(Map.of()).isEmpty();
    }
}
