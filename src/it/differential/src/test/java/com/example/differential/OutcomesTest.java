package com.example.differential;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/** One test per outcome a report distinguishes, and the kinds of failure that print differently. */
class OutcomesTest {

    @Test
    void passes() {
        assertEquals(4, 2 + 2);
    }

    @Test
    void failsWithDiff() {
        assertEquals("expected text", "actual text", "strings differ");
    }

    @Test
    void failsWithNumbers() {
        assertEquals(4, 2 + 3);
    }

    @Test
    void failsWithoutMessage() {
        fail();
    }

    @Test
    void failsWithAssertTrue() {
        assertTrue(false, "condition was false");
    }

    @Test
    void failsWithPlainAssertionError() {
        throw new AssertionError("a plain AssertionError");
    }

    @Test
    void failsWithMarkupInMessage() {
        assertEquals("<a href=\"x\">&amp;</a>", "line one\nline <two> & 'three'", "markup & newlines");
    }

    @Test
    void errors() {
        throw new IllegalStateException("boom", new IllegalArgumentException("root cause"));
    }

    @Test
    void errorsWithoutMessage() {
        throw new UnsupportedOperationException();
    }

    @Test
    void errorsWithCheckedException() throws Exception {
        throw new java.io.IOException("disk on fire");
    }

    @Test
    @Disabled("not today")
    void disabledWithReason() {}

    @Test
    @Disabled
    void disabledWithoutReason() {}

    @Test
    void abortedByAssumption() {
        assumeTrue(false, "assumption does not hold");
    }

    @Test
    void abortedExplicitly() {
        abort("aborted on purpose");
    }
}
