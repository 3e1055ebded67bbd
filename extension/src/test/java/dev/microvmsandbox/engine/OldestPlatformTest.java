package dev.microvmsandbox.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The engine's discovery on the oldest JUnit Platform we support (1.10, JUnit 5.10), in a class
 * loader that has that platform and nothing of this build's newer one: the resolver-based
 * discovery works there, and discovery issues, which that platform lacks, fall back to log lines
 * instead of failing with a missing class.
 */
class OldestPlatformTest {

    private static final Path OLDEST = Path.of("target/oldest-platform");
    private static final String FIXTURES = "dev.microvmsandbox.fixtures.";

    @Test
    void discoversOnJUnitPlatform110() throws Exception {
        assumeTrue(Files.isDirectory(OLDEST), "the build copies the oldest platform's jars to " + OLDEST);
        List<URL> urls = new ArrayList<>();
        try (Stream<Path> jars = Files.list(OLDEST)) {
            for (Path jar : (Iterable<Path>) jars::iterator) {
                urls.add(jar.toUri().toURL());
            }
        }
        assertThat(urls.toString()).contains("junit-platform-engine-1.10");
        // this library's classes, its fixtures, and what it uses other than JUnit
        for (Class<?> c : List.of(
                MicroVmSandboxEngine.class,
                OldestPlatformTest.class,
                org.objectweb.asm.ClassReader.class,
                org.slf4j.Logger.class,
                org.apiguardian.api.API.class,
                com.fasterxml.jackson.databind.ObjectMapper.class,
                com.fasterxml.jackson.core.JsonFactory.class,
                com.fasterxml.jackson.annotation.JsonTypeInfo.class)) {
            urls.add(location(c));
        }
        try (URLClassLoader oldest =
                new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader())) {
            Thread thread = Thread.currentThread();
            ClassLoader previous = thread.getContextClassLoader();
            thread.setContextClassLoader(oldest);
            try {
                assertThat(oldest.loadClass("org.junit.platform.engine.TestEngine")
                                .getProtectionDomain()
                                .getCodeSource()
                                .getLocation()
                                .toString())
                        .contains("1.10");
                @SuppressWarnings("unchecked")
                List<String> ids = (List<String>) oldest.loadClass(OldestPlatformProbe.class.getName())
                        .getMethod("discover", String.class, String.class, String.class)
                        .invoke(null, FIXTURES + "BadMemoryFixture", FIXTURES + "GuestBehaviourFixture", "passes");

                assertThat(ids)
                        .contains(
                                "[engine:microvm-sandbox]/[class:" + FIXTURES + "BadMemoryFixture]",
                                "[engine:microvm-sandbox]/[class:" + FIXTURES
                                        + "GuestBehaviourFixture]/[method:passes()]")
                        .noneMatch(id -> id.contains("failsWithDiff"));
            } finally {
                thread.setContextClassLoader(previous);
            }
        }
    }

    private static URL location(Class<?> type) throws IOException {
        try {
            return Path.of(type.getProtectionDomain()
                            .getCodeSource()
                            .getLocation()
                            .toURI())
                    .toUri()
                    .toURL();
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
    }
}
