package com.example.hostilefork;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Runs last (the pom orders classes alphabetically) in the same fork as the attacks: lists the markers
 * the attacks left in this machine's copy of the marker folder, so the build's check can tell that
 * every attack really ran, and where.
 */
class ZzWhereAttacksRanTest {

    @Test
    void listsTheMarkersLeftOnThisMachine() throws IOException {
        Marker.recordWhereItRuns();
        assertTrue(Files.isDirectory(Marker.folder()), "no attack left a marker in " + Marker.folder());
        try (Stream<java.nio.file.Path> files = Files.list(Marker.folder())) {
            System.out.println("MARKERS-HERE="
                    + files.map(p -> p.getFileName().toString()).sorted().collect(Collectors.joining(",")));
        }
    }
}
