package com.example.enginepath;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.microvmsandbox.MicroVmSandbox;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Reads what the build configured (Surefire's configurationParameters) and uses junit-jupiter-params. */
@MicroVmSandbox(memory = "1g")
@ExtendWith(BuildParameter.class)
class ParametersTest {

    @Test
    void seesTheBuildsConfiguration(String greeting) {
        assertEquals("hello from the build", greeting);
    }

    @ParameterizedTest(name = "{0} + {1} = {2}")
    @CsvSource({"1, 1, 2", "2, 2, 5"})
    void adds(int a, int b, int sum) {
        assertEquals(sum, a + b);
    }

    @RepeatedTest(2)
    void twice() {}
}
