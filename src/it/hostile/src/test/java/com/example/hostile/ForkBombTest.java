package com.example.hostile;

import dev.microvmsandbox.MicroVmSandbox;
import org.junit.jupiter.api.Test;

/** A shell fork bomb plus Java threads until failure. The VM (pids limit) absorbs it; the run goes on. */
@MicroVmSandbox(memory = "1g", timeout = "2m", isolation = MicroVmSandbox.Isolation.PER_CLASS)
class ForkBombTest {

    @Test
    void forkBomb() throws Exception {
        new ProcessBuilder("sh", "-c", "b(){ b|b& }; b").start();
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
        Host.report("fork bomb ran 20s; JVM made " + threads + " more threads");
    }
}
