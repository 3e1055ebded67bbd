package com.example.hostilefork;

import org.junit.jupiter.api.Test;

/** Runs code when the class is initialised, which Jupiter's discovery does on whatever JVM it runs. */
class StaticInitialiserAttackTest {

    static {
        Marker.leave("static-initialiser");
    }

    @Test
    void reported() {
        Marker.recordWhereItRuns();
    }
}
