-- TC_INITSCRIPT of BookRepositoryTest: the schema Hibernate would make, and a few books
CREATE TABLE book (
    id bigserial PRIMARY KEY,
    title varchar(255) NOT NULL,
    author varchar(255) NOT NULL,
    isbn varchar(17) NOT NULL UNIQUE
);
INSERT INTO book (title, author, isbn) VALUES
    ('The Dispossessed', 'Ursula K. Le Guin', '978-0-06-051275-0'),
    ('A Wizard of Earthsea', 'Ursula K. Le Guin', '978-0-547-72202-3'),
    ('Kindred', 'Octavia E. Butler', '978-0-8070-8305-5');
