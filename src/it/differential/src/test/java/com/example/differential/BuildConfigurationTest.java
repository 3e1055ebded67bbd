package com.example.differential;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Reads what Surefire's configuration gives the tests: a JUnit configuration parameter
 * ({@code configurationParameters}) and a system property ({@code systemPropertyVariables}). Both
 * runs configure the same values, so both must pass the same way.
 */
class BuildConfigurationTest {

    @Test
    void seesTheConfigurationParameter(ExtensionContext context) {
        String value =
                context.getConfigurationParameter("differential.parameter").orElse(null);
        System.out.println("differential.parameter=" + value);
        assertEquals("from Surefire's configurationParameters", value);
    }

    @Test
    void seesTheSystemProperty() {
        String value = System.getProperty("differential.property");
        System.out.println("differential.property=" + value);
        assertEquals("from Surefire's systemPropertyVariables", value);
    }
}
