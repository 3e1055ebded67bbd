package com.example.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.microvmsandbox.MicroVmSandbox;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** An ordinary class in the same run as the attacks: it must pass. Shares the run's VM. */
@MicroVmSandbox(memory = "1g", timeout = "5m")
class NormalTest {

    @Test
    void addsNumbers() {
        assertEquals(4, 2 + 2);
    }

    @Test
    void recordsTheKernelItRunsOn() throws Exception {
        System.out.println("SANDBOX-KERNEL=" + System.getProperty("os.version"));
        System.out.println("SANDBOX-BOOT-ID="
                + Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).trim());
    }
}
