package com.example.hostile;

import dev.microvmsandbox.MicroVmSandbox;
import org.junit.jupiter.api.Test;

/** Halts the guest JVM without shutdown hooks. */
@MicroVmSandbox(memory = "1g", timeout = "2m", isolation = MicroVmSandbox.Isolation.PER_CLASS)
class HaltTest {

    @Test
    void halts() {
        Runtime.getRuntime().halt(4);
    }
}
