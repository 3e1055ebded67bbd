package dev.microvmsandbox.bench;

import dev.microvmsandbox.MicroVmSandbox;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * For {@link MemoryBenchmark}: the idle spell after {@link MemoryBenchFixture}, in the same sandbox.
 * At its end it prints the guest's own view, so the host's numbers can be read against it: what the
 * guest kernel counts free and in anonymous pages, and the heap its JVM keeps committed.
 */
@MicroVmSandbox(memory = "3g")
public class MemoryBenchIdleFixture {

    @Test
    void idlesAfter() throws Exception {
        Thread.sleep(MemoryBenchmark.IDLE_MILLIS);
        StringBuilder guest = new StringBuilder("guest after the idle spell, MiB:");
        for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
            String[] f = line.split("\\s+");
            if (f[0].equals("MemTotal:") || f[0].equals("MemFree:") || f[0].equals("AnonPages:")) {
                guest.append(' ').append(f[0]).append(' ').append(Long.parseLong(f[1]) >> 10);
            }
        }
        guest.append(" heap-committed: ").append(Runtime.getRuntime().totalMemory() >> 20);
        System.out.println(guest);
    }
}
