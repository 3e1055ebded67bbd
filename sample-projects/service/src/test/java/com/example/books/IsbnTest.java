package com.example.books;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IsbnTest {

    @ParameterizedTest
    @ValueSource(strings = {"978-0-547-72202-3", "9780316067928", "978-1-4028-9462-6"})
    void acceptsIsbn13WithARightCheckDigit(String isbn) {
        assertThat(Isbn.isValid(isbn)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"978-0-547-72202-4", "978-0-547-7220", "0-547-72202-3", "isbn"})
    void rejectsAnythingElse(String isbn) {
        assertThat(Isbn.isValid(isbn)).isFalse();
    }

    @Test
    void rejectsNull() {
        assertThat(Isbn.isValid(null)).isFalse();
    }
}
