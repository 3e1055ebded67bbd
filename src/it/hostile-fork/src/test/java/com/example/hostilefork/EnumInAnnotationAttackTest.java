package com.example.hostilefork;

import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import org.junit.jupiter.api.Test;

/**
 * An annotation whose value is an enum with a static initialiser: whoever parses the class's
 * annotations (Surefire 3.5.3+'s listener looks for {@code @DisplayName} tags) initialises the enum.
 */
@EnumInAnnotationAttackTest.Flavour(EnumInAnnotationAttackTest.Taste.SOUR)
class EnumInAnnotationAttackTest {

    enum Taste {
        SOUR;

        static {
            Marker.leave("enum-in-annotation");
        }
    }

    @Retention(RetentionPolicy.RUNTIME)
    @interface Flavour {
        Taste value();
    }

    @Test
    void reported() {
        Marker.recordWhereItRuns();
    }
}
