package com.example.hostile;

import dev.microvmsandbox.MicroVmSandbox;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Allocates memory until something gives: a child process until the guest kernel (OOM killer or
 * malloc) stops it, then the guest JVM's heap (JUnit treats OutOfMemoryError as fatal, so it ends
 * the guest's whole test run).
 */
@MicroVmSandbox(memory = "512m", timeout = "2m", isolation = MicroVmSandbox.Isolation.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MemoryHogTest {

    @Test
    @Order(1)
    void nativeMemoryUntilKilled() throws Exception {
        // doubles a string until the guest kernel stops it; 137 = SIGKILL from the OOM killer
        Host.report("native-hog "
                + Host.sh(
                        "awk 'BEGIN { s = \"xxxxxxxxxxxxxxxx\"; while (1) s = s s }'; echo awk-exit=$?; "
                                + "dmesg 2>/dev/null | grep -i -m2 -E 'out of memory|oom-kill'",
                        60));
    }

    @Test
    @Order(2)
    void javaHeapUntilOutOfMemory() {
        List<byte[]> hog = new ArrayList<>();
        while (true) {
            hog.add(new byte[8 << 20]);
        }
    }
}
