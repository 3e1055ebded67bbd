package com.example.isolation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Records the machine it runs on and names itself in its output, which must land in its own report. */
class BravoTest {

    @Test
    void recordsTheMachineItRunsOn() throws Exception {
        System.out.println("CLASS=BravoTest");
        System.out.println("SANDBOX-KERNEL="
                + Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim());
        System.out.println("SANDBOX-BOOT-ID="
                + Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).trim());
    }

    @Test
    void runsItsOwnSecondTest() {
        System.out.println("CLASS=BravoTest");
        assertEquals("BravoTest", getClass().getSimpleName());
    }
}
