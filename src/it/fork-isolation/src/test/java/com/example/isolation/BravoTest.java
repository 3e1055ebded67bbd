package com.example.isolation;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Records the machine it runs on; the build is refused before it could run. */
class BravoTest {

    @Test
    void recordsTheMachineItRunsOn() throws Exception {
        System.out.println("SANDBOX-KERNEL="
                + Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim());
        System.out.println("SANDBOX-BOOT-ID="
                + Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).trim());
    }
}
