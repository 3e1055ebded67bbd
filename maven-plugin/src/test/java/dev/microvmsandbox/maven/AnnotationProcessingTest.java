package dev.microvmsandbox.maven;

import static dev.microvmsandbox.maven.TestPluginConfigurationTest.plugin;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.maven.model.Plugin;
import org.apache.maven.model.PluginExecution;
import org.junit.jupiter.api.Test;

class AnnotationProcessingTest {

    @Test
    void warnsUnlessTestCompilationIsRestricted() {
        assertThat(AnnotationProcessing.warning(List.of())).isPresent();
        assertThat(AnnotationProcessing.warning(List.of(plugin("maven-compiler-plugin", "<release>17</release>"))))
                .get()
                .asString()
                .contains("<proc>none</proc>");
        assertThat(AnnotationProcessing.warning(List.of(plugin("maven-compiler-plugin", "<proc>none</proc>"))))
                .isEmpty();
        assertThat(AnnotationProcessing.warning(List.of(plugin(
                        "maven-compiler-plugin",
                        "<annotationProcessorPaths><path><groupId>g</groupId></path></annotationProcessorPaths>"))))
                .isEmpty();
        assertThat(AnnotationProcessing.warning(
                        List.of(plugin("maven-compiler-plugin", "<compilerArgs><arg>-proc:none</arg></compilerArgs>"))))
                .isEmpty();
    }

    @Test
    void theTestCompileExecutionCountsOnlyForItself() {
        Plugin compiler = plugin("maven-compiler-plugin", null);
        PluginExecution other = new PluginExecution();
        other.setId("default-compile");
        other.setConfiguration(TestPluginConfigurationTest.dom("<proc>none</proc>"));
        compiler.addExecution(other);
        assertThat(AnnotationProcessing.warning(List.of(compiler))).isPresent();

        PluginExecution tests = new PluginExecution();
        tests.setId("default-testCompile");
        tests.setConfiguration(TestPluginConfigurationTest.dom("<proc>none</proc>"));
        compiler.addExecution(tests);
        assertThat(AnnotationProcessing.warning(List.of(compiler))).isEmpty();
    }
}
