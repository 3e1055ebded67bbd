package com.example.books;

import java.net.URI;
import java.util.List;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@RestController
@RequestMapping("/books")
public class BookController {

    private final BookRepository books;

    public BookController(BookRepository books) {
        this.books = books;
    }

    @GetMapping
    public List<Book> byAuthor(@RequestParam("author") String author) {
        return books.findByAuthorOrderByTitle(author);
    }

    @GetMapping("/{id}")
    public ResponseEntity<Book> one(@PathVariable("id") long id) {
        return ResponseEntity.of(books.findById(id));
    }

    @PostMapping
    public ResponseEntity<Book> add(@RequestBody Book book) {
        if (book.getTitle() == null || book.getAuthor() == null || !Isbn.isValid(book.getIsbn())) {
            return ResponseEntity.badRequest().build();
        }
        Book saved = books.save(book);
        return ResponseEntity.created(URI.create("/books/" + saved.getId())).body(saved);
    }
}
