package com.example.hostile;

import dev.microvmsandbox.MicroVmSandbox;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Crashes the guest kernel through sysrq. */
@MicroVmSandbox(memory = "1g", timeout = "2m", isolation = MicroVmSandbox.Isolation.PER_CLASS)
class KernelPanicTest {

    @Test
    void crashTheKernel() throws Exception {
        Files.writeString(Path.of("/proc/sys/kernel/sysrq"), "1");
        Files.writeString(Path.of("/proc/sysrq-trigger"), "c");
        Thread.sleep(60_000);
    }
}
