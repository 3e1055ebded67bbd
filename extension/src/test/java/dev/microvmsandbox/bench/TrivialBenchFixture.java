package dev.microvmsandbox.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.microvmsandbox.MicroVmSandbox;
import org.junit.jupiter.api.Test;

/** The smallest useful sandboxed class: what the sandbox costs on top of it is the overhead. */
@MicroVmSandbox
public class TrivialBenchFixture {

    @Test
    void adds() {
        assertEquals(4, 2 + 2);
    }

    @Test
    void concatenates() {
        assertEquals("ab", "a" + "b");
    }
}
