package dev.microvmsandbox.maven;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LauncherScriptTest {

    /**
     * The script is run for real, with a stand-in "Java home" whose bin/java prints its arguments one per
     * line: quoting must survive spaces, quotes and dollars.
     */
    @Test
    void passesItsOwnArgumentsAfterTheLaunchersUnchanged(@TempDir Path tmp) throws Exception {
        Path home = Files.createDirectories(tmp.resolve("java home"));
        Files.createDirectories(home.resolve("bin"));
        Path java = home.resolve("bin/java");
        Files.writeString(java, "#!/bin/sh\nfor a in \"$@\"; do echo \"[$a]\"; done\n");
        java.toFile().setExecutable(true);
        Files.writeString(home.resolve("release"), "JAVA_VERSION=\"21.0.2\"\n");

        Path script = LauncherScript.write(
                tmp.resolve("target/microvm-sandbox"),
                home,
                List.of(new File("/m2/it's.jar"), new File("/m2/b.jar")),
                List.of("-Xmx64m"),
                tmp.resolve("settings file.properties"));

        assertThat(script).isEqualTo(tmp.resolve("target/microvm-sandbox/bin/java"));
        assertThat(Files.isExecutable(script)).isTrue();
        assertThat(tmp.resolve("target/microvm-sandbox/release")).hasContent("JAVA_VERSION=\"21.0.2\"");
        Process p = new ProcessBuilder(script.toString(), "-jar", "a b.jar", "$HOME", "\"q\"")
                .redirectErrorStream(true)
                .start();
        List<String> lines =
                new String(p.getInputStream().readAllBytes()).lines().toList();
        assertThat(p.waitFor()).isZero();
        assertThat(lines)
                .containsSequence("[-Xmx64m]")
                .containsSequence("[-cp]", "[/m2/it's.jar:/m2/b.jar]", "[" + LauncherScript.LAUNCHER_CLASS + "]")
                .endsWith(
                        "[" + tmp.resolve("settings file.properties") + "]",
                        "[-jar]",
                        "[a b.jar]",
                        "[$HOME]",
                        "[\"q\"]");
    }
}
