package dev.microvmsandbox.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The agent's own short commands, run for real with this host's {@code /bin/sh}. */
class GuestCommandTest {

    private static final Duration MINUTE = Duration.ofMinutes(1);

    @Test
    void givesTheCommandItsInputAndAnswersItsOutput() throws Exception {
        String out = GuestCommand.run(
                List.of("/bin/sh", "-c", "tr a-z A-Z; echo done >&2"),
                "clone\n".getBytes(StandardCharsets.US_ASCII),
                MINUTE);
        assertThat(out).isEqualTo("CLONE\ndone");
    }

    @Test
    void aFailureCarriesTheExitCodeAndTheOutputCutShort() {
        assertThatThrownBy(() -> GuestCommand.run(
                        List.of("/bin/sh", "-c", "head -c 100000 /dev/zero | tr '\\0' x; exit 7"), new byte[0], MINUTE))
                .isInstanceOf(IOException.class)
                .satisfies(e -> assertThat(e.getMessage())
                        .startsWith("exit code 7: xxx")
                        .hasSize("exit code 7: ".length() + GuestCommand.MAX_OUTPUT));
    }

    @Test
    void aCommandPastItsLimitIsKilledWithTheChildrenThatHoldItsOutput() throws Exception {
        assertThatThrownBy(() -> GuestCommand.run(
                        List.of("/bin/sh", "-c", "echo started; sleep 600 & sleep 600"),
                        new byte[0],
                        Duration.ofSeconds(1)))
                .isInstanceOf(IOException.class)
                // what it printed before the kill, if it got that far on a slow host
                .hasMessageMatching("no exit within 1 s: (started)?");
        // killed at once; gone once the kernel has reaped them, however long that takes here
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (sleepers() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(sleepers()).as("the command's children left running").isZero();
    }

    private static long sleepers() {
        return ProcessHandle.current()
                .descendants()
                .filter(p -> p.info().commandLine().orElse("").contains("sleep 600"))
                .count();
    }

    @Test
    void aCommandThatCannotStartSaysSo() {
        assertThatThrownBy(() -> GuestCommand.run(List.of("/nonexistent/command"), new byte[0], MINUTE))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("/nonexistent/command");
    }
}
