package dev.microvmsandbox.backend.qemu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Starts qemu so that it dies with this JVM, even when the JVM is killed with SIGKILL.
 *
 * <p>qemu runs under {@code setpriv --pdeathsig KILL}, which asks the kernel to kill it when its
 * parent <em>thread</em> ends. Every qemu is therefore spawned from one thread that lives as long
 * as the JVM; spawning from a short-lived test thread would kill the VM when that thread ends.
 */
final class QemuLauncher {

    private static final ExecutorService SPAWNER = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "microvm-sandbox-spawner");
        t.setDaemon(true);
        return t;
    });

    private QemuLauncher() {}

    static Process start(List<String> qemuArgs, Path workDir) throws IOException {
        List<String> command = new ArrayList<>();
        if (setprivAvailable()) {
            command.addAll(List.of("setpriv", "--pdeathsig", "KILL", "--"));
        }
        command.addAll(qemuArgs);
        ProcessBuilder pb = new ProcessBuilder(command)
                .directory(workDir.toFile())
                .redirectInput(ProcessBuilder.Redirect.PIPE)
                .redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        pb.environment().put("TMPDIR", workDir.toString());
        try {
            return SPAWNER.submit(pb::start).get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting qemu");
        }
    }

    static boolean setprivAvailable() {
        return Files.isExecutable(Path.of("/usr/bin/setpriv")) || Files.isExecutable(Path.of("/bin/setpriv"));
    }
}
