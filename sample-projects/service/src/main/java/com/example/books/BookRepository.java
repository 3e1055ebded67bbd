package com.example.books;

import java.util.List;
import java.util.Optional;
import org.springframework.data.jpa.repository.JpaRepository;

public interface BookRepository extends JpaRepository<Book, Long> {

    List<Book> findByAuthorOrderByTitle(String author);

    Optional<Book> findByIsbn(String isbn);
}
