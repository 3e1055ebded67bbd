package com.example.hostile;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.microvmsandbox.MicroVmSandbox;
import org.junit.jupiter.api.Test;

/**
 * Writes zeros until the guest's scratch disk is full. The class asks for a 512 MiB disk, so the
 * limit is reached in seconds on any machine and ENOSPC is certain; the host's disk use is bounded
 * by the scratch disk's size.
 */
@MicroVmSandbox(memory = "1g", disk = "512m", timeout = "4m", isolation = MicroVmSandbox.Isolation.PER_CLASS)
class DiskFillTest {

    @Test
    void fillTheDisk() throws Exception {
        // dd ends by itself at ENOSPC; the class timeout, not this bound, stops a hang
        String result = Host.sh(
                "mkdir -p /work; df -k /work; dd if=/dev/zero of=/work/fill bs=1M 2>&1 | tail -4; df -k /work | tail -1",
                600);
        Host.report("disk-fill " + result);
        // dd stops at ENOSPC; the disk then shows no space available
        assertTrue(
                result.contains("No space left") || result.matches("(?s).*\\s0\\s+100%\\s+/.*"),
                "dd did not fill the disk: " + result);
    }
}
