package dev.microvmsandbox.bench;

import dev.microvmsandbox.MicroVmSandbox;
import org.junit.jupiter.api.Test;

/** For {@link MemoryBenchmark}: the idle spell after {@link MemoryBenchFixture}, in the same sandbox. */
@MicroVmSandbox(memory = "3g")
public class MemoryBenchIdleFixture {

    @Test
    void idlesAfter() throws InterruptedException {
        Thread.sleep(MemoryBenchmark.IDLE_MILLIS);
    }
}
