package com.example.differential;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayName("A class with a custom name")
class CustomDisplayNamesTest {

    @Test
    @DisplayName("custom display name")
    void named() {}

    @Test
    @DisplayName("fails under a name with ümlauts, <markup> & emoji \uD83D\uDE00")
    void namedAndFails() {
        assertEquals(1, 2);
    }

    @Nested
    @DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
    class Names_from_underscores {
        @Test
        void reads_like_a_sentence() {}
    }
}
