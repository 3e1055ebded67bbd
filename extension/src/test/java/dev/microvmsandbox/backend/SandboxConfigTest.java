package dev.microvmsandbox.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SandboxConfigTest {

    @Test
    void parsesSizesPeopleWrite() {
        assertThat(ByteSize.parse("512m").mebibytes()).isEqualTo(512);
        assertThat(ByteSize.parse("2g").mebibytes()).isEqualTo(2048);
        assertThat(ByteSize.parse("2GiB").mebibytes()).isEqualTo(2048);
        assertThat(ByteSize.parse("1536MB").mebibytes()).isEqualTo(1536);
    }

    @Test
    void rejectsNonsenseSizesWithAnExample() {
        assertThatThrownBy(() -> ByteSize.parse("lots")).hasMessageContaining("write it like 512m or 2g");
        assertThatThrownBy(() -> ByteSize.parse("0m")).hasMessageContaining("512m");
        assertThatThrownBy(() -> ByteSize.parse("99999999999t")).hasMessageContaining("out of range");
    }

    @Test
    void parsesDurations() {
        assertThat(TimeLimit.parse("90s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(TimeLimit.parse("10m")).isEqualTo(Duration.ofMinutes(10));
        assertThat(TimeLimit.parse("1h")).isEqualTo(Duration.ofHours(1));
        assertThatThrownBy(() -> TimeLimit.parse("soon")).hasMessageContaining("write it like 90s, 10m or 1h");
    }

    @Test
    void withersReturnChangedCopies() {
        SandboxConfig base = SandboxConfig.defaults();
        SandboxConfig changed = base.withMemory("1g").withCpus(4).withEnv(List.of("A=1", "B=x=y"));
        assertThat(base.memory().mebibytes()).isEqualTo(2048);
        assertThat(changed.memory().mebibytes()).isEqualTo(1024);
        assertThat(changed.cpus()).isEqualTo(4);
        assertThat(changed.env()).containsEntry("A", "1").containsEntry("B", "x=y");
        assertThat(changed)
                .isNotEqualTo(base)
                .isEqualTo(base.withMemory("1g").withCpus(4).withEnv(List.of("A=1", "B=x=y")));
    }

    @Test
    void rejectsBadValues() {
        SandboxConfig c = SandboxConfig.defaults();
        assertThatThrownBy(() -> c.withMemory("100m")).hasMessageContaining("at least 256m");
        assertThatThrownBy(() -> c.withCpus(0)).hasMessageContaining("between 1 and 64");
        assertThatThrownBy(() -> c.withPids(63)).hasMessageContaining("at least 64");
        assertThatThrownBy(() -> c.withPids(SandboxConfig.MAX_PIDS + 1)).hasMessageContaining("at most 1073741823");
        assertThatThrownBy(() -> c.withEnv(List.of("NOVALUE"))).hasMessageContaining("NAME=value");
        assertThatThrownBy(() -> c.withEnv("1BAD", "x")).hasMessageContaining("MY_VAR");
        assertThatThrownBy(() -> Mount.parse("/a:relative")).hasMessageContaining("absolute");
    }

    @Test
    void hostPathsMustBeAbsoluteAndNormalised() {
        SandboxConfig c = SandboxConfig.defaults().withHostPaths(List.of(Path.of("/work/a.jar")));
        assertThat(c.hostPaths()).containsExactly(Path.of("/work/a.jar"));
        assertThat(c).isNotEqualTo(SandboxConfig.defaults());
        assertThatThrownBy(() -> c.withHostPaths(List.of(Path.of("relative.jar"))))
                .hasMessageContaining("absolute");
        assertThatThrownBy(() -> c.withHostPaths(List.of(Path.of("/work/../etc/shadow"))))
                .hasMessageContaining("normalised");
        assertThatThrownBy(() -> c.withHostPaths(List.of(Path.of("/")))).hasMessageContaining("not the root");
    }

    @Test
    void systemPropertiesAreOneLineNamesAndValues() {
        SandboxConfig c = SandboxConfig.defaults().withSystemProperties(Map.of("app.mode", "a value with spaces"));
        assertThat(c.systemProperties()).containsEntry("app.mode", "a value with spaces");
        assertThatThrownBy(() -> c.withSystemProperties(Map.of("a", "two\nlines")))
                .hasMessageContaining("one-line");
        assertThatThrownBy(() -> c.withSystemProperties(Map.of("a=b", "c"))).hasMessageContaining("without '='");
    }
}
