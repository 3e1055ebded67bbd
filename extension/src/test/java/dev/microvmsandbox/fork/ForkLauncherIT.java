package dev.microvmsandbox.fork;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher end to end with a real VM and a small program instead of Surefire's booter: the
 * command line's class folder is shown at its host path, the program runs in a folder at the
 * working folder's path, reads the launcher's stdin, sees only the environment the rules let
 * through, and its stdout, stderr and exit status come back.
 */
class ForkLauncherIT {

    private static final String PROGRAM = """
            import java.nio.file.*;
            public class Echo {
                public static void main(String[] args) throws Exception {
                    System.out.println("args=" + String.join(",", args));
                    System.out.println("cwd=" + Path.of("").toAbsolutePath());
                    System.out.println("cwd-writable=" + Files.isWritable(Path.of("")));
                    System.out.println("stdin=" + new java.io.BufferedReader(
                            new java.io.InputStreamReader(System.in)).readLine());
                    System.out.println("APP_MODE=" + System.getenv("APP_MODE"));
                    System.out.println("HOST_SECRET=" + System.getenv("HOST_SECRET"));
                    System.out.println("guest=" + System.getProperty("microvm.sandbox.guest"));
                    System.out.println("jvm=" + java.lang.management.ManagementFactory.getRuntimeMXBean()
                            .getInputArguments());
                    System.out.println("boot=" + Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).trim());
                    System.err.println("to stderr");
                    System.exit(7);
                }
            }
            """;

    @Test
    void runsTheCommandLineInASandboxAndRelaysItsStreams(@TempDir Path tmp) throws Exception {
        Path project = Files.createDirectories(tmp.resolve("project"));
        Path sources = Files.createDirectories(tmp.resolve("src"));
        Path classes = Files.createDirectories(project.resolve("target/classes"));
        Files.writeString(sources.resolve("Echo.java"), PROGRAM);
        assertThat(ToolProvider.getSystemJavaCompiler()
                        .run(
                                null,
                                null,
                                null,
                                "--release",
                                "17",
                                "-d",
                                classes.toString(),
                                sources.resolve("Echo.java").toString()))
                .isZero();
        Path settings = tmp.resolve("settings.properties");
        ForkSettings.builder(project, Path.of(System.getProperty("java.home")))
                .sandbox("microvm.sandbox.memory", "1g")
                .pomEnvironmentVariable("APP_MODE", "ci")
                .build()
                .write(settings);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ForkLauncher launcher = new ForkLauncher(
                new ByteArrayInputStream("hello from the host\n".getBytes(StandardCharsets.UTF_8)),
                out,
                new PrintStream(err, true, StandardCharsets.UTF_8),
                Map.of("APP_MODE", "ci", "HOST_SECRET", "do not pass", "PATH", "/usr/bin"),
                project);

        int status = launcher.run(List.of(settings.toString(), "-cp", "target/classes", "Echo", "a", "b c"));

        String stdout = out.toString(StandardCharsets.UTF_8);
        String stderr = err.toString(StandardCharsets.UTF_8);
        assertThat(status).as(stderr).isEqualTo(7);
        String hostBoot =
                Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).trim();
        assertThat(stdout)
                .contains("args=a,b c")
                .contains("cwd=" + project)
                .contains("cwd-writable=true")
                .contains("stdin=hello from the host")
                .contains("APP_MODE=ci")
                .contains("HOST_SECRET=null")
                .contains("guest=true")
                .doesNotContain("boot=" + hostBoot);
        assertThat(stderr)
                .contains("[microvm-sandbox] fork: booting a sandbox")
                .contains("ready in")
                .contains("to stderr")
                .contains("fork exited with status 7");
        if (stderr.contains("(TCG")) {
            // an emulated CPU: the fork's JVM stops at C1, unless its own options say otherwise
            assertThat(stdout).contains("jvm=[-Dmicrovm.sandbox.guest=true, -XX:TieredStopAtLevel=1");
            assertThat(stderr).contains("the guest's CPU is emulated: the fork's JVM gets -XX:TieredStopAtLevel=1");
        } else {
            assertThat(stdout).doesNotContain("TieredStopAtLevel");
        }
    }
}
