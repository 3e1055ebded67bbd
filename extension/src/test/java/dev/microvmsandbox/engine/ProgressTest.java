package dev.microvmsandbox.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressTest {

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream console = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    private final AtomicLong clock = new AtomicLong();

    private String printed() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void stepsThatEndBeforeTheQuietTimeSayNothing() {
        // the quiet time is far longer than the test, so no timer can fire
        Progress progress = new Progress(console, Duration.ofHours(1), clock::get);
        try (Progress.Step boot = progress.step("starting a sandbox")) {
            clock.addAndGet(1_000_000);
        }
        progress.ready("sandbox vm1 ready");
        assertThat(printed()).isEmpty();
    }

    @Test
    void aSlowStepSaysWhatItIsDoingAndTheReadyLineHowLongItTook() {
        Progress progress = new Progress(console, Duration.ZERO, clock::get);
        try (Progress.Step boot = progress.step("starting a sandbox for com.example.FooTest (2g memory, 2 vCPUs)")) {
            await().until(() -> !printed().isEmpty());
            clock.addAndGet(31_250_000_000L);
        }
        progress.ready("sandbox vm1 ready for com.example.FooTest");
        assertThat(printed())
                .isEqualTo("[microvm-sandbox] starting a sandbox for com.example.FooTest (2g memory, 2 vCPUs)"
                        + System.lineSeparator()
                        + "[microvm-sandbox] sandbox vm1 ready for com.example.FooTest after 31.3 s"
                        + System.lineSeparator());
    }

    @Test
    void aStepPrintsItsLineOnce() throws Exception {
        Progress progress = new Progress(console, Duration.ZERO, clock::get);
        Progress.Step load = progress.step("loading image x (351 MiB) into sandbox vm1");
        await().until(() -> !printed().isEmpty());
        load.close();
        load.close();
        assertThat(printed().lines()).containsExactly("[microvm-sandbox] loading image x (351 MiB) into sandbox vm1");
    }
}
