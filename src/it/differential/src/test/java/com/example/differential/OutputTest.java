package com.example.differential;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Output on both streams, from a passing and a failing test and from the class's setup. */
class OutputTest {

    @BeforeAll
    static void announce() {
        System.out.println("stdout from @BeforeAll");
    }

    @Test
    void printsToStdoutAndStderr() {
        System.out.println("hello on stdout");
        System.err.println("hello on stderr");
        System.out.println("a second line, with <markup> & ümlauts");
    }

    @Test
    void printsThenFails() {
        System.out.println("about to fail");
        System.err.println("failing now");
        assertEquals("printed", "failed");
    }

    /** verify.groovy compares these with the host's: the plain run must show them, the sandboxed one must not. */
    @Test
    void recordsWhereItRuns() throws Exception {
        System.out.println("RAN-ON-KERNEL=" + System.getProperty("os.version"));
        System.out.println("RAN-ON-BOOT-ID="
                + Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).trim());
    }
}
