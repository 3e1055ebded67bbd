package com.example.hostile;

import dev.microvmsandbox.MicroVmSandbox;
import org.junit.jupiter.api.Test;

/** Never ends: the class timeout must destroy the VM and say so. */
@MicroVmSandbox(memory = "1g", timeout = "45s", isolation = MicroVmSandbox.Isolation.PER_CLASS)
class SpinForeverTest {

    static volatile long sink;

    @Test
    void spin() {
        while (true) {
            sink++;
        }
    }
}
