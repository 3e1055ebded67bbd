package com.example.differential;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A class aborted before any test: every test is skipped. */
class AssumptionInBeforeAllTest {

    @BeforeAll
    static void onlyOnSundays() {
        assumeTrue(false, "not a Sunday");
    }

    @Test
    void skippedWithTheClass() {}
}
