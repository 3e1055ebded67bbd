package com.example.hostile;

import dev.microvmsandbox.MicroVmSandbox;
import org.junit.jupiter.api.Test;

/** Ends the guest JVM from inside a test. */
@MicroVmSandbox(memory = "1g", timeout = "2m", isolation = MicroVmSandbox.Isolation.PER_CLASS)
class SystemExitTest {

    @Test
    void exits() {
        System.exit(3);
    }
}
