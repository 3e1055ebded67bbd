package dev.microvmsandbox.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.microvmsandbox.MicroVmSandbox;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** For {@link MemoryBenchmark}: an idle spell, then 1 GiB held in the guest's JVM and let go. */
@MicroVmSandbox(memory = "3g")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
public class MemoryBenchFixture {

    static final int HELD_MIB = 1024;

    @Test
    @Order(1)
    void idlesBefore() throws InterruptedException {
        Thread.sleep(MemoryBenchmark.IDLE_MILLIS);
    }

    @Test
    @Order(2)
    void holdsOneGibibyteAndLetsItGo() throws InterruptedException {
        List<byte[]> chunks = new ArrayList<>();
        for (int i = 0; i < HELD_MIB / 16; i++) {
            byte[] chunk = new byte[16 << 20];
            Arrays.fill(chunk, (byte) i);
            chunks.add(chunk);
        }
        // held long enough for the host to see it
        Thread.sleep(5_000);
        assertEquals(HELD_MIB / 16, chunks.size());
    }
}
