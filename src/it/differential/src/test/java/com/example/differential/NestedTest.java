package com.example.differential;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class NestedTest {

    @Test
    void outerPasses() {}

    @Nested
    class Inner {
        @Test
        void innerPasses() {}

        @Test
        void innerFails() {
            assertEquals("outer", "inner");
        }

        @Nested
        class Deeper {
            @Test
            void deeperPasses() {}
        }
    }

    @Nested
    @DisplayName("a nested class with a display name")
    class Named {
        @Test
        void namedNestedPasses() {}
    }
}
