package com.example.hostilefork;

import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

/** A display-name generator, which Jupiter instantiates during discovery. */
@DisplayNameGeneration(DisplayNameGeneratorAttackTest.MarkingGenerator.class)
class DisplayNameGeneratorAttackTest {

    public static class MarkingGenerator extends DisplayNameGenerator.Standard {
        public MarkingGenerator() {
            Marker.leave("display-name-generator");
        }
    }

    @Test
    void reported() {
        Marker.recordWhereItRuns();
    }
}
