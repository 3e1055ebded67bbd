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
 * and after the agent's end-of-run step commits a fraction of it: less than a plain full collection
 * leaves committed over the same live data, with the heap's free-space bounds back as they were.
 */
class AgentHeapTest {

    @Test
    void aHeapARunGrewShrinksToWhatIsLive() throws Exception {
        Probe released = probe(512, 0, "release");
        assertThat(released.grown()).as("committed after holding 512 MiB").isGreaterThan(512L << 20);
        assertThat(released.collected()).as("collected").isTrue();
        assertThat(released.after()).as("committed after the end-of-run step").isLessThan(released.grown() / 4);
    }

    @Test
    void theEndOfRunStepLeavesLessOfTheHeapFreeThanAPlainCollection() throws Exception {
        Probe plain = probe(768, 64, "plain");
        Probe released = probe(768, 64, "release");
        assertThat(released.after())
                .as(
                        "committed over 64 MiB live: after the end-of-run step, against %d MiB after a plain collection",
                        plain.after() >> 20)
                .isLessThan(plain.after() * 6 / 10);
        assertThat(released.bounds()).as("the free-space bounds after the step").isEqualTo(plain.bounds());
        assertThat(released.bounds()).as("the JVM's own bounds").isEqualTo("40 70");
    }

    @Test
    void aRunThatNeverGrewTheHeapCostsNoCollection() throws Exception {
        assertThat(probe(0, 0, "release").collected()).as("collected").isFalse();
    }

    /** Committed bytes before and after, whether the step collected, and the bounds it left. */
    private record Probe(long grown, long after, boolean collected, String bounds) {}

    private static Probe probe(int mebibytes, int liveMebibytes, String mode) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(AgentDisk.JVM_OPTIONS);
        // sized as in a guest of the default 2 GiB: the heap starts at 32 MiB and can shrink back to it
        command.add("-XX:MaxRAM=2g");
        command.addAll(List.of(
                "-cp",
                System.getProperty("java.class.path"),
                IdleHeapProbe.class.getName(),
                Integer.toString(mebibytes),
                Integer.toString(liveMebibytes),
                mode));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        String[] f = line(out, "committed ").split(" ");
        return new Probe(
                Long.parseLong(f[1]),
                Long.parseLong(f[2]),
                Boolean.parseBoolean(f[3]),
                line(out, "bounds ").substring("bounds ".length()));
    }

    private static String line(String out, String prefix) {
        return out.lines().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow(() -> new AssertionError(out));
    }
}
