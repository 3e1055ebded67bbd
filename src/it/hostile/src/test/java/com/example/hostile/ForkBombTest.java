package com.example.hostile;

import dev.microvmsandbox.MicroVmSandbox;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * A shell fork bomb plus Java threads until failure. The VM (pids limit) absorbs it; the run goes on.
 *
 * <p>The bomb runs in a cgroup of its own in the guest: it still takes every pid the guest has, but
 * the kernel shares the CPU between its cgroup and the test JVM's, so the JVM is not starved by
 * thousands of forking shells and the test ends at the same point on a fast machine and a slow one.
 */
@MicroVmSandbox(memory = "1g", timeout = "2m", isolation = MicroVmSandbox.Isolation.PER_CLASS)
class ForkBombTest {

    private static final Path BOMB = Path.of("/sys/fs/cgroup/fork-bomb");

    @Test
    void forkBomb() throws Exception {
        Files.createDirectories(BOMB);
        new ProcessBuilder("sh", "-c", "echo $$ > " + BOMB + "/cgroup.procs; exec sh -c 'b(){ b|b& }; b'").start();
        Thread.sleep(20_000);
        int threads = 0;
        try {
            while (threads < 100_000) {
                Thread t = new Thread(() -> {
                    try {
                        Thread.sleep(Long.MAX_VALUE);
                    } catch (InterruptedException ignored) {
                        // end
                    }
                });
                t.setDaemon(true);
                t.start();
                threads++;
            }
        } catch (Throwable e) {
            Host.report("threads stopped at " + threads + ": " + e);
        }
        Host.report("fork bomb ran 20s in " + read(BOMB.resolve("pids.current")) + " processes of its cgroup; JVM made "
                + threads + " more threads");
        // ends the bomb at once, without a fork; the VM is destroyed after the class anyway
        Files.writeString(BOMB.resolve("cgroup.kill"), "1");
    }

    private static String read(Path file) {
        try {
            return Files.readString(file).trim();
        } catch (Exception e) {
            return "? (" + e + ")";
        }
    }
}
