package com.example.books;

import static org.hamcrest.Matchers.contains;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.web.servlet.AutoConfigureMockMvc;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.testcontainers.service.connection.ServiceConnection;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.MockMvc;
import org.testcontainers.containers.PostgreSQLContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

/** The whole service: MockMvc requests through the controller and JPA into PostgreSQL. */
@SpringBootTest
@AutoConfigureMockMvc
@Testcontainers
class BookApiTest {

    @Container
    @ServiceConnection
    static PostgreSQLContainer<?> postgres = new PostgreSQLContainer<>("postgres:16-alpine");

    @Autowired
    MockMvc mvc;

    @Test
    void addsABookAndReadsItBack() throws Exception {
        String location = mvc.perform(post("/books")
                        .contentType(MediaType.APPLICATION_JSON)
                        .content("{\"title\":\"The Left Hand of Darkness\",\"author\":\"Ursula K. Le Guin\","
                                + "\"isbn\":\"978-0-441-47812-5\"}"))
                .andExpect(status().isCreated())
                .andExpect(jsonPath("$.id").isNumber())
                .andReturn()
                .getResponse()
                .getHeader("Location");

        mvc.perform(get(location))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.title").value("The Left Hand of Darkness"))
                .andExpect(jsonPath("$.isbn").value("978-0-441-47812-5"));
    }

    @Test
    void listsTheBooksOfOneAuthorByTitle() throws Exception {
        for (String[] book :
                new String[][] {{"Parable of the Talents", "978-1-53871-391-4"}, {"Kindred", "978-0-8070-8305-5"}}) {
            mvc.perform(post("/books")
                            .contentType(MediaType.APPLICATION_JSON)
                            .content("{\"title\":\"" + book[0] + "\",\"author\":\"Octavia E. Butler\",\"isbn\":\""
                                    + book[1] + "\"}"))
                    .andExpect(status().isCreated());
        }

        mvc.perform(get("/books").param("author", "Octavia E. Butler"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$[*].title", contains("Kindred", "Parable of the Talents")));
    }

    @Test
    void refusesABookWithAWrongIsbn() throws Exception {
        mvc.perform(post("/books")
                        .contentType(MediaType.APPLICATION_JSON)
                        .content("{\"title\":\"Dune\",\"author\":\"Frank Herbert\",\"isbn\":\"978-0-441-17271-8\"}"))
                .andExpect(status().isBadRequest())
                .andExpect(header().doesNotExist("Location"));
    }

    @Test
    void answersNotFoundForAnUnknownBook() throws Exception {
        mvc.perform(get("/books/{id}", 999_999)).andExpect(status().isNotFound());
    }
}
