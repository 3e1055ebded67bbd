package dev.microvmsandbox.backend.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.microvmsandbox.guest.IdleHeapProbe;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The agent's JVM gives back the heap a test run grew: a JVM with exactly the agent's options
 * (this host's Java, the same major version as the guest's, sized as a default guest's) grows its heap, drops what it held,
 * and after the agent's end-of-run step commits a fraction of it.
 */
class AgentHeapTest {

    @Test
    void aHeapARunGrewShrinksToWhatIsLive() throws Exception {
        long[] committed = probe(512);
        assertThat(committed[0]).as("committed after holding 512 MiB").isGreaterThan(512L << 20);
        assertThat(committed[2]).as("collected").isEqualTo(1);
        assertThat(committed[1]).as("committed after the end-of-run step").isLessThan(committed[0] / 4);
    }

    @Test
    void aRunThatNeverGrewTheHeapCostsNoCollection() throws Exception {
        assertThat(probe(0)[2]).as("collected").isEqualTo(0);
    }

    /** Committed bytes before and after, and 1 if the step collected. */
    private static long[] probe(int mebibytes) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(AgentDisk.JVM_OPTIONS);
        // sized as in a guest of the default 2 GiB: the heap starts at 32 MiB and can shrink back to it
        command.add("-XX:MaxRAM=2g");
        command.addAll(List.of(
                "-cp",
                System.getProperty("java.class.path"),
                IdleHeapProbe.class.getName(),
                Integer.toString(mebibytes)));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        String line = out.lines()
                .filter(l -> l.startsWith("committed "))
                .findFirst()
                .orElseThrow(() -> new AssertionError(out));
        String[] f = line.split(" ");
        return new long[] {Long.parseLong(f[1]), Long.parseLong(f[2]), Boolean.parseBoolean(f[3]) ? 1 : 0};
    }
}
