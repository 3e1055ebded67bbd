package com.example.enginepath;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.microvmsandbox.MicroVmSandbox;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Tests to select from: by method name (-Dtest=SelectionTest#chosen*) and by tag (groups). */
@MicroVmSandbox(memory = "1g")
class SelectionTest {

    @Test
    void chosenOne() throws Exception {
        // verify.groovy compares these with the host's: sandboxed runs must show another boot
        System.out.println("RAN-ON-BOOT-ID="
                + Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).trim());
    }

    @Test
    @Tag("fast")
    void chosenAndFast() {}

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void chosenParameterized(int n) {
        assertEquals(0, n % 2, "odd");
    }

    @Test
    @Tag("fast")
    void notChosenButFast() {}

    @Test
    @Tag("fast")
    @Tag("flaky")
    void fastButFlaky() {}

    @Test
    void neither() {}

    @Nested
    @Tag("nested")
    class Inner {
        @Test
        void inNested() {}

        @Test
        void alsoInNested() {}
    }
}
