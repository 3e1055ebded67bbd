package dev.microvmsandbox.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The template's JUnit warm-up, run here with the JUnit jars of this test class path in place of
 * the guest image's (the guest's run is what the sandbox benchmark times).
 */
class JupiterWarmupTest {

    @Test
    void everyTestOfTheWrittenClassPassesAndNothingOfItStaysVisible() throws Exception {
        ClassLoader before = Thread.currentThread().getContextClassLoader();

        int passed = JupiterWarmup.run(hostJars());

        assertThat(passed).isEqualTo(JupiterWarmup.TESTS);
        assertThat(Thread.currentThread().getContextClassLoader()).isSameAs(before);
        assertThatThrownBy(() -> Class.forName(JupiterWarmup.CLASS_NAME)).isInstanceOf(ClassNotFoundException.class);
    }

    @Test
    void withoutTheParamsJarTheParameterizedTestIsNotRun() throws Exception {
        List<Path> jars = new ArrayList<>(hostJars());
        jars.remove(5);

        // Jupiter skips a method whose annotation cannot be loaded: the count is the run's, not a constant
        assertThat(JupiterWarmup.run(jars)).isEqualTo(JupiterWarmup.TESTS - 3);
    }

    @Test
    void theDebianJarsAreFoundOnlyWhenEveryOneIsThere(@TempDir Path dir) throws IOException {
        for (String name : JupiterWarmup.JARS) {
            Files.createFile(dir.resolve(name));
        }
        assertThat(JupiterWarmup.debianJars(dir)).hasSize(JupiterWarmup.JARS.size());

        Files.delete(dir.resolve("junit-jupiter-params.jar"));
        assertThat(JupiterWarmup.debianJars(dir)).isEmpty();
    }

    /** The jars of this class path in {@link JupiterWarmup#JARS}' order. */
    private static List<Path> hostJars() throws URISyntaxException {
        List<Path> jars = new ArrayList<>();
        for (Class<?> c : List.of(
                org.junit.platform.commons.util.ReflectionUtils.class,
                org.junit.platform.engine.TestEngine.class,
                org.junit.platform.launcher.core.LauncherFactory.class,
                org.junit.jupiter.api.Test.class,
                org.junit.jupiter.engine.JupiterTestEngine.class,
                org.junit.jupiter.params.ParameterizedTest.class,
                org.opentest4j.AssertionFailedError.class,
                org.apiguardian.api.API.class)) {
            jars.add(Path.of(
                    c.getProtectionDomain().getCodeSource().getLocation().toURI()));
        }
        return jars;
    }
}
