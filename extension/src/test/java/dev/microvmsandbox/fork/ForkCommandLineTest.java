package dev.microvmsandbox.fork;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ForkCommandLineTest {

    /** A booter jar the way Surefire writes it: Main-Class and a Class-Path relative to the jar, escaped. */
    private static Path booterJar(Path dir, String classPath) throws IOException {
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
    void readsSurefiresBooterJarAndItsManifestClassPath(@TempDir Path project) throws IOException {
        Path jar = booterJar(
                project,
                "../../../m2/org/junit/junit%20platform-1.jar ../test-classes/ ../classes/ "
                        + "file:/abs/surefire-booter-3.5.4.jar");
        List<String> args = List.of(
                "-Xmx256m",
                "-Dapp.mode=x y",
                "-javaagent:" + project.resolve("agent.jar") + "=destfile=target/jacoco.exec",
                "-jar",
                jar.toString(),
                project.resolve("target/surefire").toString(),
                "2024-jvmRun1",
                "surefire123tmp",
                "surefire_0123tmp");

        ForkCommandLine c = ForkCommandLine.parse(args, project);

        assertThat(c.isSurefireBooter()).isTrue();
        assertThat(c.jar()).contains(jar);
        assertThat(c.hostPaths())
                .containsExactly(
                        project.resolve("agent.jar"),
                        jar,
                        project.getParent().resolve("m2/org/junit/junit platform-1.jar"),
                        project.resolve("target/test-classes"),
                        project.resolve("target/classes"),
                        Path.of("/abs/surefire-booter-3.5.4.jar"));
        assertThat(c.classpathFileNames()).contains("surefire-booter-3.5.4.jar");
        assertThat(c.applicationArguments())
                .containsExactly(
                        project.resolve("target/surefire").toString(),
                        "2024-jvmRun1",
                        "surefire123tmp",
                        "surefire_0123tmp");
        assertThat(c.applicationStart()).isEqualTo(5);
        assertThat(c.systemProperties()).containsEntry("app.mode", "x y");
        assertThat(c.arguments()).isEqualTo(args);
    }

    @Test
    void readsClassPathOptionsAndRelativePaths(@TempDir Path project) {
        ForkCommandLine c = ForkCommandLine.parse(
                List.of("-cp", "target/classes:lib/a.jar", "--module-path=mods", "com.example.Main", "arg"), project);

        assertThat(c.mainClass()).contains("com.example.Main");
        assertThat(c.isSurefireBooter()).isFalse();
        assertThat(c.hostPaths())
                .containsExactly(
                        project.resolve("target/classes"), project.resolve("lib/a.jar"), project.resolve("mods"));
        assertThat(c.applicationArguments()).containsExactly("arg");
    }

    @Test
    void readsAnArgumentFileAndNeedsIt(@TempDir Path project) throws IOException {
        Path args = project.resolve("target/surefire/surefireargs123");
        Files.createDirectories(args.getParent());
        Files.writeString(
                args,
                "--module-path\n\"/m2/a.jar:/m2/b b.jar\"\n--class-path\n\"/m2/c.jar\"\n--patch-module\n"
                        + "my.module=\"" + project.resolve("target/test-classes")
                        + "\"\n--add-opens\nmy.module/p=ALL-UNNAMED\n"
                        + "# a comment\n--add-modules\nALL-MODULE-PATH\n" + ForkCommandLine.FORKED_BOOTER);

        ForkCommandLine c = ForkCommandLine.parse(List.of("-Xmx1g", "@" + args, "tmp", "dump", "props"), project);

        assertThat(c.isSurefireBooter()).isTrue();
        assertThat(c.hostPaths())
                .containsExactly(
                        args,
                        Path.of("/m2/a.jar"),
                        Path.of("/m2/b b.jar"),
                        Path.of("/m2/c.jar"),
                        project.resolve("target/test-classes"));
        assertThat(c.applicationArguments()).containsExactly("tmp", "dump", "props");
    }

    @Test
    void refusesWhatItCannotRead(@TempDir Path project) {
        assertThatThrownBy(() -> ForkCommandLine.parse(List.of("-cp"), project)).hasMessageContaining("-cp without");
        assertThatThrownBy(() -> ForkCommandLine.parse(List.of("-jar"), project))
                .hasMessageContaining("-jar without");
        assertThatThrownBy(() -> ForkCommandLine.parse(List.of("@" + project.resolve("missing")), project))
                .hasMessageContaining("cannot read the argument file");
        assertThatThrownBy(() -> ForkCommandLine.tokens("a \"b")).hasMessageContaining("inside a quote");
    }

    @Test
    void tokenisesArgumentFilesAsTheJavaLauncherDoes() {
        assertThat(ForkCommandLine.tokens("  a  'b c'\n\"d\\\\e\\\"f\" x=\"y z\" # gone\n w"))
                .containsExactly("a", "b c", "d\\e\"f", "x=y z", "w");
    }
}
