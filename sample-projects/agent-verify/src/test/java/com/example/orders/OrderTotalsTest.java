package com.example.orders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.example.orders.OrderTotals.Line;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An ordinary unit test: under the strict setup (Surefire forks its test JVM into the sandbox) it
 * runs there like every other class.
 */
class OrderTotalsTest {

    @Test
    void sumsLines() {
        assertEquals(
                new BigDecimal("23.50"),
                OrderTotals.total(
                        List.of(new Line("a", 2, new BigDecimal("5.25")), new Line("b", 1, new BigDecimal("13.00"))),
                        0));
    }

    @Test
    void appliesDiscountRoundingHalfUp() {
        assertEquals(new BigDecimal("9.00"), OrderTotals.total(List.of(new Line("a", 3, new BigDecimal("3.333"))), 10));
    }

    @Test
    void rejectsNonPositiveQuantity() {
        assertThrows(IllegalArgumentException.class, () -> new Line("a", 0, BigDecimal.ONE));
    }

    @Test
    void recordsTheKernelItRunsOn() throws Exception {
        System.out.println("SANDBOX-KERNEL="
                + Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim());
        // boot_id is new at every boot of any kernel: it tells the VM from the host even when their kernels match
        System.out.println("SANDBOX-BOOT-ID="
                + Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).trim());
    }
}
