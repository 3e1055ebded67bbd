package dev.microvmsandbox.cli;

import static org.awaitility.Awaitility.await;

import dev.microvmsandbox.WaitBounds;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.core.ConditionTimeoutException;

/** {@link SandboxCli} in a JVM of its own, as a second build on the same host would run it. */
public final class CliProcess implements AutoCloseable {

    private final Process process;
    private final StringBuffer stdout = new StringBuffer();
    private final StringBuffer stderr = new StringBuffer();
    private final Thread[] readers;

    private CliProcess(Process process) {
        this.process = process;
        this.readers = new Thread[] {copy(process.getInputStream(), stdout), copy(process.getErrorStream(), stderr)};
    }

    /** Starts {@code SandboxCli args} with the test classpath and {@code env} added to this JVM's environment. */
    public static CliProcess start(Map<String, String> env, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-cp",
                System.getProperty("java.class.path"),
                "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"),
                "-Dmicrovm.sandbox.repo=" + System.getProperty("microvm.sandbox.repo", ""),
                // the QEMU this run uses (a slowed one in sandbox-image/host-tools/slow-suite.sh), as a second build
                // would
                "-Dmicrovm.sandbox.qemu=" + System.getProperty("microvm.sandbox.qemu", ""),
                "-Dmicrovm.sandbox.templates=" + System.getProperty("microvm.sandbox.templates", "true"),
                SandboxCli.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().putAll(env);
        return new CliProcess(pb.start());
    }

    private static Thread copy(InputStream in, StringBuffer into) {
        Thread t = new Thread(
                () -> {
                    byte[] buffer = new byte[8192];
                    try (in) {
                        int n;
                        while ((n = in.read(buffer)) > 0) {
                            into.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                        }
                    } catch (IOException ignored) {
                        // the process ended
                    }
                },
                "cli-output");
        t.setDaemon(true);
        t.start();
        return t;
    }

    public long pid() {
        return process.pid();
    }

    public String stdout() {
        return stdout.toString();
    }

    public String stderr() {
        return stderr.toString();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Waits for the process to end and its output to be read; its exit code. */
    public int exitCode(Duration atMost) throws InterruptedException {
        try {
            await().atMost(atMost).pollInterval(Duration.ofMillis(200)).until(() -> !process.isAlive());
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("SandboxCli did not end within " + atMost + "; its stderr so far:\n" + stderr, e);
        }
        for (Thread reader : readers) {
            reader.join(WaitBounds.HOST_STEP.toMillis());
        }
        return process.exitValue();
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
