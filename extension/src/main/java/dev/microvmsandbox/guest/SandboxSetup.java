package dev.microvmsandbox.guest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A sandbox's own setup, taken when the host attaches and before the guest is ready: the kernel's
 * limit on threads and processes, then the host's script that mounts the sandbox's shares. In the
 * agent, not in a command of the host's, to spare a restored sandbox a round trip and a shell
 * where there is nothing to mount.
 */
final class SandboxSetup {

    static final Path THREADS_MAX = Path.of("/proc/sys/kernel/threads-max");
    /** How long the script may take: the host's own limit on a sandbox's start is the boot timeout. */
    static final Duration LIMIT = Duration.ofMinutes(10);

    private SandboxSetup() {}

    /** Sets the limit ({@code threadsMax} above 0), then runs {@code script} (when not blank) with {@code sh -e}. */
    static void apply(int threadsMax, String script) throws IOException, InterruptedException {
        if (threadsMax > 0) {
            Files.writeString(THREADS_MAX, threadsMax + "\n");
        }
        if (script == null || script.isBlank()) {
            return;
        }
        GuestCommand.run(List.of("/bin/sh", "-e", "-c", script), new byte[0], LIMIT);
    }
}
