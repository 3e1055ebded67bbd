package com.example.books;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.jdbc.AutoConfigureTestDatabase;
import org.springframework.boot.test.autoconfigure.orm.jpa.DataJpaTest;

/**
 * The repository against a PostgreSQL that Testcontainers' JDBC URL starts, seeded by an init
 * script.
 */
@DataJpaTest(
        properties = {
            "spring.datasource.url=jdbc:tc:postgresql:16-alpine:///books?TC_INITSCRIPT=db/seed-books.sql",
            "spring.datasource.driver-class-name=org.testcontainers.jdbc.ContainerDatabaseDriver"
        })
@AutoConfigureTestDatabase(replace = AutoConfigureTestDatabase.Replace.NONE)
class BookRepositoryTest {

    @Autowired
    BookRepository books;

    @Test
    void findsTheSeededBooksOfAnAuthorByTitle() {
        assertThat(books.findByAuthorOrderByTitle("Ursula K. Le Guin"))
                .extracting(Book::getTitle)
                .containsExactly("A Wizard of Earthsea", "The Dispossessed");
    }

    @Test
    void savesABookAndFindsItByIsbn() {
        books.save(new Book("Dawn", "Octavia E. Butler", "978-0-446-60377-5"));
        assertThat(books.findByIsbn("978-0-446-60377-5")).map(Book::getTitle).contains("Dawn");
        assertThat(books.findByAuthorOrderByTitle("Octavia E. Butler"))
                .extracting(Book::getTitle)
                .containsExactly("Dawn", "Kindred");
    }
}
