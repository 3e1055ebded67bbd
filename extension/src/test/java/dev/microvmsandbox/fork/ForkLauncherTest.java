package dev.microvmsandbox.fork;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the launcher refuses before it boots anything, and the small things it reads. */
class ForkLauncherTest {

    private record Outcome(int status, String stderr) {}

    private static Outcome launch(Path project, List<String> args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = new ForkLauncher(
                        new ByteArrayInputStream(new byte[0]),
                        new ByteArrayOutputStream(),
                        new PrintStream(err, true, StandardCharsets.UTF_8),
                        Map.of(),
                        project)
                .run(args);
        return new Outcome(status, err.toString(StandardCharsets.UTF_8));
    }

    static Path settings(Path dir) throws IOException {
        Path file = dir.resolve("settings.properties");
        ForkSettings.builder(dir, Path.of(System.getProperty("java.home")))
                .build()
                .write(file);
        return file;
    }

    static Path booter(Path dir, String classPath) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().put(Attributes.Name.MAIN_CLASS, ForkCommandLine.FORKED_BOOTER);
        m.getMainAttributes().put(Attributes.Name.CLASS_PATH, classPath);
        Path jar = Files.createDirectories(dir.resolve("target/surefire")).resolve("surefirebooter-1.jar");
        try (OutputStream out = Files.newOutputStream(jar);
                JarOutputStream j = new JarOutputStream(out, m)) {
            j.flush();
        }
        return jar;
    }

    @Test
    void refusesASurefireTooOldForItsProtocol(@TempDir Path project) throws IOException {
        Path jar = booter(project, "file:/m2/surefire-booter-2.22.2.jar");
        Outcome o = launch(
                project,
                List.of(settings(project).toString(), "-jar", jar.toString(), "target/surefire", "d", "p", "s"));

        assertThat(o.status()).isEqualTo(1);
        assertThat(o.stderr())
                .contains("Surefire/Failsafe 2.22.2 is older than 3.0.0")
                .contains("use 3.2.5 or newer");
    }

    @Test
    void refusesAForkThatWouldTalkToMavenOverTheNetwork(@TempDir Path project) throws IOException {
        Path jar = booter(project, "file:/m2/surefire-booter-3.5.4.jar");
        Files.writeString(project.resolve("target/surefire/b"), "forkNodeConnectionString=tcp://127.0.0.1:4242\n");
        Outcome o = launch(
                project, List.of(settings(project).toString(), "-jar", jar.toString(), "target/surefire", "d", "b"));

        assertThat(o.status()).isEqualTo(1);
        assertThat(o.stderr()).contains("tcp://127.0.0.1:4242").contains("remove <forkNode>");
    }

    @Test
    void saysWhatItNeedsWithoutASettingsFile(@TempDir Path project) {
        assertThat(launch(project, List.of()).stderr()).contains("prepare goal writes a script");
        assertThat(launch(project, List.of(project.resolve("missing").toString(), "-version"))
                        .stderr())
                .contains("could not start");
    }

    @Test
    void readsTheForksNameAndTheJavaFeatureVersion(@TempDir Path home) throws IOException {
        assertThat(ForkPlan.forkName("20261201-jvmRun2")).isEqualTo("jvmRun2");
        assertThat(ForkPlan.forkName("odd name/../x")).isEqualTo("fork");
        Files.writeString(home.resolve("release"), "JAVA_VERSION=\"21.0.2\"\n");
        assertThat(ForkLauncher.javaFeature(home)).isEqualTo(21);
        Files.writeString(home.resolve("release"), "JAVA_VERSION=\"1.8.0_402\"\n");
        assertThat(ForkLauncher.javaFeature(home)).isEqualTo(8);
    }

    @org.junit.jupiter.api.Test
    void aForkWithTestcontainersAndThisLibraryGetsThePullPolicyForPreloadedImages() {
        List<Path> both = List.of(
                Path.of("/m2/org/testcontainers/testcontainers-2.0.5.jar"),
                Path.of("/m2/dev/microvmsandbox/microvm-sandbox-junit-0.1.0.jar"),
                Path.of("/p/target/test-classes"));
        assertThat(ForkLauncher.withPullPolicy(Map.of("A", "1"), both))
                .containsEntry("A", "1")
                .containsEntry(
                        "TESTCONTAINERS_PULL_POLICY", "dev.microvmsandbox.testcontainers.PreloadedImagePullPolicy");
        assertThat(ForkLauncher.withPullPolicy(Map.of(), both.subList(1, 3))).isEmpty();
        assertThat(ForkLauncher.withPullPolicy(Map.of("TESTCONTAINERS_PULL_POLICY", "mine"), both))
                .containsEntry("TESTCONTAINERS_PULL_POLICY", "mine");
    }
}
