package dev.microvmsandbox.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guest's classpath from the host's, with the real JUnit jars of this build: the test
 * classpath of a project that declares only junit-jupiter-api, and a host JVM that has the engine
 * elsewhere (as Surefire's provider classpath has it).
 */
class HostClasspathTest {

    private static final Path API = jarOf(org.junit.jupiter.api.Test.class);
    private static final Path COMMONS = jarOf(org.junit.platform.commons.util.ReflectionUtils.class);
    private static final Path OPENTEST4J = jarOf(org.opentest4j.AssertionFailedError.class);
    private static final Path PLATFORM_ENGINE = jarOf(org.junit.platform.engine.TestEngine.class);
    private static final Path LAUNCHER = jarOf(org.junit.platform.launcher.core.LauncherFactory.class);
    private static final Path ENGINE = jarOf(org.junit.jupiter.engine.JupiterTestEngine.class);

    @TempDir
    Path dir;

    @Test
    void addsTheHostsJupiterEngineWhenTheProjectDeclaresOnlyTheApi() {
        HostClasspath.ForGuest guest = HostClasspath.forGuest(
                path(dir, API, COMMONS, OPENTEST4J, PLATFORM_ENGINE, LAUNCHER),
                "",
                List.of(getClass().getClassLoader()));

        assertThat(guest.problemIfAny()).isEmpty();
        assertThat(guest.entries()).containsExactly(dir, API, COMMONS, OPENTEST4J, PLATFORM_ENGINE, LAUNCHER, ENGINE);
    }

    @Test
    void addsThePlatformJarsTheTestClasspathLacksToo() {
        HostClasspath.ForGuest guest = HostClasspath.forGuest(
                path(API, LAUNCHER), "", List.of(getClass().getClassLoader()));

        assertThat(guest.problemIfAny()).isEmpty();
        assertThat(guest.entries())
                .startsWith(API, LAUNCHER, ENGINE)
                .contains(COMMONS, OPENTEST4J, PLATFORM_ENGINE)
                .hasSize(6);
    }

    @Test
    void leavesAClasspathWithItsOwnEngineAlone() {
        HostClasspath.ForGuest guest =
                HostClasspath.forGuest(path(API, ENGINE), "", List.of(getClass().getClassLoader()));

        assertThat(guest.entries()).containsExactly(API, ENGINE);
    }

    @Test
    void takesOnlyAnEngineOfTheApisVersion() throws IOException {
        Path other = fakeEngine("5.9.3");
        try (URLClassLoader host = new URLClassLoader(new URL[] {other.toUri().toURL()}, null)) {
            HostClasspath.ForGuest guest = HostClasspath.forGuest(path(API, COMMONS), "", List.of(host));

            assertThat(guest.entries()).containsExactly(API, COMMONS);
            assertThat(guest.problemIfAny())
                    .get()
                    .asString()
                    .contains("junit-jupiter-api " + version(API))
                    .contains("junit-jupiter-engine-5.9.3.jar (5.9.3)")
                    .contains("Fix: add the test dependency org.junit.jupiter:junit-jupiter-engine:" + version(API));
        }
    }

    @Test
    void saysWhatToAddWhenTheHostHasNoEngineEither() throws IOException {
        try (URLClassLoader host = new URLClassLoader(new URL[0], null)) {
            HostClasspath.ForGuest guest = HostClasspath.forGuest(path(API), "", List.of(host));

            assertThat(guest.problemIfAny())
                    .get()
                    .asString()
                    .contains("none is on the host JVM's class path either")
                    .contains("org.junit.jupiter:junit-jupiter-engine:" + version(API));
        }
    }

    @Test
    void readsAClasspathShortenedIntoAManifestJar() throws IOException {
        Path manifestJar = dir.resolve("surefirebooter.jar");
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes()
                .put(Attributes.Name.CLASS_PATH, API.toUri() + " " + ENGINE.toUri() + " " + dir.toUri());
        try (OutputStream out = new JarOutputStream(Files.newOutputStream(manifestJar), manifest)) {
            // a manifest and nothing else, as Surefire writes it
        }

        assertThat(HostClasspath.testClasspath(null, manifestJar.toString())).containsExactly(API, ENGINE, dir);
    }

    private Path fakeEngine(String version) throws IOException {
        Path jar = dir.resolve("junit-jupiter-engine-" + version + ".jar");
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.IMPLEMENTATION_VERSION, version);
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest)) {
            out.putNextEntry(new JarEntry("org/junit/jupiter/engine/JupiterTestEngine.class"));
            out.write(new byte[] {(byte) 0xca, (byte) 0xfe});
            out.closeEntry();
        }
        return jar;
    }

    private static String version(Path jar) {
        try (java.util.jar.JarFile file = new java.util.jar.JarFile(jar.toFile())) {
            return file.getManifest().getMainAttributes().getValue("Implementation-Version");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String path(Path... entries) {
        return java.util.Arrays.stream(entries).map(Path::toString).collect(Collectors.joining(File.pathSeparator));
    }

    private static Path jarOf(Class<?> type) {
        try {
            return Path.of(
                    type.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
