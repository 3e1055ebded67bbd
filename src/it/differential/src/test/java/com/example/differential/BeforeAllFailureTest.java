package com.example.differential;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A class-level failure: no test starts, the class fails. */
class BeforeAllFailureTest {

    @BeforeAll
    static void setUp() {
        throw new IllegalStateException("setup failed");
    }

    @Test
    void neverStarts() {}

    @Test
    void neverStartsEither() {}
}
