package com.example.differential;

import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

@Disabled("whole class off")
class DisabledClassTest {

    @Test
    void neverRuns() {}
}
