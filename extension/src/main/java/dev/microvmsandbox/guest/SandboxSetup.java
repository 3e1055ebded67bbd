package dev.microvmsandbox.guest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A sandbox's own setup, taken when the host attaches and before the guest is ready: the kernel's
 * limit on threads and processes, then the host's script that mounts the sandbox's shares. In the
 * agent, not in a command of the host's, to spare a restored sandbox a round trip and a shell
 * where there is nothing to mount.
 */
final class SandboxSetup {

    static final Path THREADS_MAX = Path.of("/proc/sys/kernel/threads-max");
    /** What of the script's output goes into the failure the host reads. */
    static final int MAX_OUTPUT = 4096;

    private SandboxSetup() {}

    /** Sets the limit ({@code threadsMax} above 0), then runs {@code script} (when not blank) with {@code sh -e}. */
    static void apply(int threadsMax, String script) throws IOException, InterruptedException {
        if (threadsMax > 0) {
            Files.writeString(THREADS_MAX, threadsMax + "\n");
        }
        if (script == null || script.isBlank()) {
            return;
        }
        Process p = new ProcessBuilder("/bin/sh", "-e", "-c", script)
                .redirectErrorStream(true)
                .start();
        p.getOutputStream().close();
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readNBytes(MAX_OUTPUT), StandardCharsets.UTF_8);
            in.transferTo(OutputStream.nullOutputStream());
        }
        int exit = p.waitFor();
        if (exit != 0) {
            throw new IOException("exit code " + exit + ": " + out.strip());
        }
    }
}
