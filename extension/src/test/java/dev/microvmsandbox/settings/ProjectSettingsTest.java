package dev.microvmsandbox.settings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.microvmsandbox.backend.Accelerator;
import dev.microvmsandbox.backend.SandboxConfig;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ProjectSettingsTest {

    private static ProjectSettings read(Map<String, String> values, Map<String, String> hostEnv) {
        return ProjectSettings.read(k -> Optional.ofNullable(values.get(k)), hostEnv::get, "setting");
    }

    private static ProjectSettings read(Map<String, String> values) {
        return read(values, Map.of());
    }

    @Test
    void absentKeysStayUnsetAndLeaveTheConfigurationAlone() {
        ProjectSettings s = read(Map.of());

        assertThat(s.memory()).isEmpty();
        assertThat(s.timeout()).isEmpty();
        assertThat(s.images()).isEmpty();
        assertThat(s.env()).isEmpty();
        assertThat(s.applyTo(SandboxConfig.defaults())).isEqualTo(SandboxConfig.defaults());
        assertThat(s.passesSystemProperty("user.home")).isFalse();
    }

    @Test
    void readsEveryKey() {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("microvm.sandbox.memory", "1g");
        v.put("microvm.sandbox.cpus", " 3 ");
        v.put("microvm.sandbox.timeout", "90s");
        v.put("microvm.sandbox.disk", "4g");
        v.put("microvm.sandbox.bootTimeout", "7m");
        v.put("microvm.sandbox.accelerator", "TCG");
        v.put("microvm.sandbox.requireKvm", "true");
        v.put("microvm.sandbox.backend", "QEMU");
        v.put("microvm.sandbox.images", "docker-archive:target/a.tar, postgres:16-alpine ,,");
        v.put("microvm.sandbox.env", "MODE=test,LIST=a\\,b,EMPTY=");
        v.put("microvm.sandbox.systemProperties", "spring.profiles.active,app.*");

        ProjectSettings s = read(v);
        SandboxConfig c = s.applyTo(SandboxConfig.defaults());

        assertThat(c.memory().mebibytes()).isEqualTo(1024);
        assertThat(c.cpus()).isEqualTo(3);
        assertThat(c.disk().mebibytes()).isEqualTo(4096);
        assertThat(c.accelerator()).isEqualTo(Accelerator.TCG);
        assertThat(c.requireHardwareIsolation()).isTrue();
        assertThat(s.timeout()).contains(Duration.ofSeconds(90));
        assertThat(s.backend()).contains("qemu");
        assertThat(s.images()).containsExactly("docker-archive:target/a.tar", "postgres:16-alpine");
        assertThat(c.env()).containsOnly(Map.entry("MODE", "test"), Map.entry("LIST", "a,b"), Map.entry("EMPTY", ""));
        assertThat(c.bootTimeout()).isEqualTo(Duration.ofMinutes(7));
    }

    @Test
    void bareEnvironmentNamesPassOnlyTheHostValuesThatExist() {
        ProjectSettings s =
                read(Map.of("microvm.sandbox.env", "CI,NOT_ON_HOST,MODE=x"), Map.of("CI", "true", "HOME", "/root"));

        assertThat(s.env()).containsExactly(Map.entry("CI", "true"), Map.entry("MODE", "x"));
    }

    @Test
    void systemPropertyPatternsAreGlobsOverTheWholeName() {
        ProjectSettings s =
                read(Map.of("microvm.sandbox.systemProperties", "spring.profiles.active,app.*,*.secret.ok"));

        assertThat(s.passesSystemProperty("spring.profiles.active")).isTrue();
        assertThat(s.passesSystemProperty("spring.profiles.active.x")).isFalse();
        assertThat(s.passesSystemProperty("app.db.url")).isTrue();
        assertThat(s.passesSystemProperty("appx")).isFalse();
        assertThat(s.passesSystemProperty("my.secret.ok")).isTrue();
        assertThat(s.passesSystemProperty("user.home")).isFalse();
        assertThat(s.passedSystemProperties(Map.of("app.a", "1", "user.name", "root")))
                .containsExactly(Map.entry("app.a", "1"));
    }

    @Test
    void aWrongValueNamesItsKeyAndAnExample() {
        assertThatThrownBy(() -> read(Map.of("microvm.sandbox.memory", "lots")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("setting microvm.sandbox.memory=lots is wrong")
                .hasMessageContaining("write it like microvm.sandbox.memory=2g");
        assertThatThrownBy(() -> read(Map.of("microvm.sandbox.memory", "64m"))).hasMessageContaining("at least 256m");
        assertThatThrownBy(() -> read(Map.of("microvm.sandbox.cpus", "two")))
                .hasMessageContaining("microvm.sandbox.cpus");
        assertThatThrownBy(() -> read(Map.of("microvm.sandbox.timeout", "soon")))
                .hasMessageContaining("microvm.sandbox.timeout=soon");
        assertThatThrownBy(() -> read(Map.of("microvm.sandbox.accelerator", "fast")))
                .hasMessageContaining("not auto, kvm or tcg");
        assertThatThrownBy(() -> read(Map.of("microvm.sandbox.requireKvm", "yes")))
                .hasMessageContaining("not true or false");
        assertThatThrownBy(() -> read(Map.of("microvm.sandbox.env", "1BAD=x")))
                .hasMessageContaining("'1BAD=x' is neither NAME=value nor a variable name");
        assertThatThrownBy(() -> read(Map.of("microvm.sandbox.systemProperties", "a b")))
                .hasMessageContaining("not a property name or pattern");
    }

    @Test
    void listsSplitOnUnescapedCommasAndJoinBack() {
        List<String> entries = List.of("a", "b,c", "d=e");

        assertThat(ProjectSettings.splitList(ProjectSettings.joinList(entries))).isEqualTo(entries);
        assertThat(ProjectSettings.splitList(" x , ,y\\,z ")).containsExactly("x", "y,z");
    }
}
