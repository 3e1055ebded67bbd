package dev.microvmsandbox.maven;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.StringReader;
import java.nio.file.Path;
import java.util.List;
import org.apache.maven.model.Plugin;
import org.apache.maven.model.PluginExecution;
import org.codehaus.plexus.util.xml.Xpp3Dom;
import org.codehaus.plexus.util.xml.Xpp3DomBuilder;
import org.junit.jupiter.api.Test;

class TestPluginConfigurationTest {

    static Xpp3Dom dom(String xml) {
        try {
            return Xpp3DomBuilder.build(new StringReader("<configuration>" + xml + "</configuration>"));
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    static Plugin plugin(String artifactId, String configuration, String... executions) {
        Plugin p = new Plugin();
        p.setArtifactId(artifactId);
        p.setConfiguration(configuration == null ? null : dom(configuration));
        for (int i = 0; i < executions.length; i++) {
            PluginExecution e = new PluginExecution();
            e.setId("e" + i);
            e.setConfiguration(dom(executions[i]));
            p.addExecution(e);
        }
        return p;
    }

    @Test
    void collectsWhatSurefireAndFailsafeSetFromEveryExecution() {
        TestPluginConfiguration c = TestPluginConfiguration.of(
                List.of(
                        plugin(
                                "maven-surefire-plugin",
                                "<systemPropertyVariables><db.url>x</db.url></systemPropertyVariables>"
                                        + "<environmentVariables><MODE>ci</MODE></environmentVariables>",
                                "<environmentVariables><MODE>ci</MODE><EMPTY/></environmentVariables>"
                                        + "<systemPropertiesFile>src/test/sys.properties</systemPropertiesFile>"),
                        plugin(
                                "maven-failsafe-plugin",
                                "<systemProperties><property><name>old.style</name><value>1</value></property>"
                                        + "<map.style>2</map.style></systemProperties>"
                                        + "<environmentVariables><MODE>it</MODE></environmentVariables>"),
                        plugin(
                                "maven-compiler-plugin",
                                "<systemPropertyVariables><not.mine>x</not.mine></systemPropertyVariables>")),
                new File("/work/p"));

        assertThat(c.systemProperties()).containsExactly("db.url", "old.style", "map.style");
        assertThat(c.systemPropertiesFiles()).containsExactly(Path.of("/work/p/src/test/sys.properties"));
        assertThat(c.environment()).containsEntry("MODE", List.of("ci", "it")).containsEntry("EMPTY", List.of(""));
        assertThat(c.problems()).isEmpty();
    }

    @Test
    void refusesWhatMakesSurefireDiscoverTestClassesInMavensJvm() {
        TestPluginConfiguration c = TestPluginConfiguration.of(
                List.of(
                        plugin("maven-surefire-plugin", "<forkCount>2</forkCount>"),
                        plugin(
                                "maven-failsafe-plugin",
                                null,
                                "<reuseForks> false </reuseForks>",
                                "<forkCount>1C</forkCount>"),
                        plugin("maven-compiler-plugin", "<reuseForks>false</reuseForks>")),
                new File("/work/p"));

        assertThat(c.problems())
                .hasSize(3)
                .allSatisfy(p -> assertThat(p).contains("in Maven's own JVM"))
                .anySatisfy(p -> assertThat(p).startsWith("maven-failsafe-plugin execution e0 sets reuseForks=false"));
        assertThat(TestPluginConfiguration.of(
                                List.of(plugin(
                                        "maven-surefire-plugin",
                                        "<forkCount>1</forkCount><reuseForks>true</reuseForks>")),
                                new File("/work/p"))
                        .problems())
                .isEmpty();
    }

    @Test
    void namesWhatWouldKeepAForkOutOfTheSandbox() {
        TestPluginConfiguration c = TestPluginConfiguration.of(
                List.of(
                        plugin("maven-surefire-plugin", "<forkCount>0</forkCount>", "<jvm>/usr/bin/java</jvm>"),
                        plugin("maven-failsafe-plugin", "<jvm>${jvm}</jvm><forkCount>1</forkCount>")),
                new File("/work/p"));

        assertThat(c.problems()).hasSize(2);
        Plugin sandbox = plugin("microvm-sandbox-maven-plugin", "<jvmProperty>sandbox.jvm</jvmProperty>");
        sandbox.setGroupId("dev.microvmsandbox");
        assertThat(TestPluginConfiguration.of(
                                List.of(sandbox, plugin("maven-surefire-plugin", null, "<jvm>${sandbox.jvm}</jvm>")),
                                new File("/work/p"))
                        .problems())
                .as("an execution sent into the sandbox by the plugin's own property")
                .isEmpty();
        assertThat(c.problems().get(0)).contains("maven-surefire-plugin sets forkCount=0");
        assertThat(c.problems().get(1)).contains("execution e0 sets <jvm>/usr/bin/java</jvm>");
    }
}
