package com.example.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.microvmsandbox.MicroVmSandbox;
import org.junit.jupiter.api.Test;

/**
 * A second ordinary class, in a VM of its own; named to sort after the attacks so that, in
 * Surefire's alphabetical order, it runs after several of them. It must pass.
 */
@MicroVmSandbox(memory = "1g", timeout = "5m", isolation = MicroVmSandbox.Isolation.PER_CLASS)
class ZzNormalAfterAttacksTest {

    @Test
    void stillWorks() {
        assertEquals("ok", "o" + "k");
    }
}
