package dev.microvmsandbox.backend.kata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.microvmsandbox.backend.Mount;
import dev.microvmsandbox.backend.SandboxConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host's files reach the container the way the bootstrap reads them: these tests run the
 * bootstrap's own {@code receive_files} (cut out of {@code bootstrap/init}) in {@code sh} with GNU
 * tar, as the sandbox image does, and check both what lands on disk and that the bytes after the
 * files, the channel's, are left unread on stdin.
 */
class GuestFilesTest {

    private static final Path BOOTSTRAP = Path.of("../bootstrap/init");

    @TempDir
    Path dir;

    @Test
    void classpathArgumentsAndEnvironmentArriveAndTheChannelBytesAreLeftOnStdin() throws Exception {
        Path jar = Files.write(dir.resolve("lib one.jar"), bytes(3 * ChunkedOutputStream.CHUNK + 17));
        Path classes = Files.createDirectories(dir.resolve("classes/com/example"));
        Files.writeString(classes.resolve("Test.class"), "class bytes");
        Files.createSymbolicLink(classes.resolve("secret"), Path.of("/etc/shadow"));
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.writeString(data.resolve("input.txt"), "mounted");
        SandboxConfig config = SandboxConfig.defaults()
                .withClasspath(List.of(jar, dir.resolve("classes"), dir.resolve("missing.jar")))
                .withEnv("MODE", "test value")
                .withMounts(List.of(new Mount(data, "/srv/data")));

        ByteArrayOutputStream stdin = new ByteArrayOutputStream();
        GuestFiles.send(config, List.of("-Xshare:auto"), stdin);
        stdin.write("CHANNEL-BYTES".getBytes(StandardCharsets.US_ASCII));

        Path root = Files.createDirectories(dir.resolve("guest-root"));
        String rest = receive(stdin.toByteArray(), root);

        assertThat(rest).as("what the agent would read next").isEqualTo("CHANNEL-BYTES");
        Path cp = root.resolve("run/msb/cp");
        assertThat(Files.readAllBytes(cp.resolve("000-lib_one.jar"))).isEqualTo(Files.readAllBytes(jar));
        assertThat(cp.resolve("001-classes/com/example/Test.class")).hasContent("class bytes");
        assertThat(cp.resolve("001-classes/com/example/secret"))
                .as("a link in a class folder could name any host file")
                .doesNotExist();
        assertThat(Files.readAllLines(cp.resolve("agent.args")))
                .containsExactly(
                        "-Xshare:auto",
                        "-cp",
                        "/run/msb/cp/000-lib_one.jar:/run/msb/cp/001-classes",
                        "dev.microvmsandbox.guest.GuestAgent");
        assertThat(cp.resolve("agent.env")).hasContent("MODE=test value");
        assertThat(root.resolve("srv/data/input.txt")).hasContent("mounted");
    }

    @Test
    void aHostJavaHomeKeepsItsExecutablesAndItsLinkedFiles() throws Exception {
        Path jdk = Files.createDirectories(dir.resolve("jdk/bin"));
        Path java = Files.writeString(jdk.resolve("java"), "#!/bin/sh\n");
        java.toFile().setExecutable(true);
        Path conf = Files.writeString(dir.resolve("security.properties"), "linked");
        Files.createDirectories(dir.resolve("jdk/conf"));
        Files.createSymbolicLink(dir.resolve("jdk/conf/security.properties"), conf);
        SandboxConfig config = SandboxConfig.defaults()
                .withClasspath(List.of(Files.writeString(dir.resolve("a.jar"), "jar")))
                .withHostJavaHome(dir.resolve("jdk"));

        ByteArrayOutputStream stdin = new ByteArrayOutputStream();
        GuestFiles.send(config, List.of(), stdin);
        Path root = Files.createDirectories(dir.resolve("guest-root"));
        receive(stdin.toByteArray(), root);

        assertThat(root.resolve("run/msb/jdk/bin/java")).isExecutable();
        assertThat(root.resolve("run/msb/jdk/conf/security.properties")).hasContent("linked");
    }

    /** Runs receive_files | tar -x in sh on {@code stdin}, then prints what is left on stdin. */
    private String receive(byte[] stdin, Path root) throws IOException, InterruptedException {
        assumeTrue(Files.isRegularFile(BOOTSTRAP), "runs in the extension folder of a clone");
        String script = "say() { echo \"msb: $*\" >&2; }\n" + function(Files.readString(BOOTSTRAP), "receive_files")
                + "\nreceive_files | tar -x -C '" + root + "' --no-same-owner -f - || exit 9\ncat\n";
        Process p = new ProcessBuilder("sh", "-c", script)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(stdin);
        }
        String rest = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        return rest;
    }

    /** The text of shell function {@code name} as the bootstrap defines it. */
    static String function(String script, String name) {
        Matcher m = Pattern.compile("(?ms)^" + name + "\\(\\) \\{\\n.*?^\\}\\n").matcher(script);
        assertThat(m.find()).as("bootstrap/init defines %s()", name).isTrue();
        return m.group();
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + 7);
        }
        return b;
    }
}
