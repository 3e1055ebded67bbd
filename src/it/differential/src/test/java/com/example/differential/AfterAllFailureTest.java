package com.example.differential;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The tests pass, then the class fails. */
class AfterAllFailureTest {

    @AfterAll
    static void tearDown() {
        throw new IllegalStateException("teardown failed");
    }

    @Test
    void passesBeforeTheTeardown() {}
}
