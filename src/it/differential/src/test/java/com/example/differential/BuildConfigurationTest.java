package com.example.differential;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Reads what the build gives the tests: a JUnit configuration parameter ({@code
 * junit-platform.properties}, read through the extension context) and a system property (Surefire's
 * {@code systemPropertyVariables}). Both runs configure the same values, so both must pass the same
 * way.
 */
class BuildConfigurationTest {

    static String parameter;

    @RegisterExtension
    static final BeforeAllCallback READS_THE_PARAMETER = (ExtensionContext context) -> parameter =
            context.getConfigurationParameter("differential.parameter").orElse(null);

    @Test
    void seesTheConfigurationParameter() {
        System.out.println("differential.parameter=" + parameter);
        assertEquals("from junit-platform.properties", parameter);
    }

    @Test
    void seesTheSystemProperty() {
        String value = System.getProperty("differential.property");
        System.out.println("differential.property=" + value);
        assertEquals("from Surefire's systemPropertyVariables", value);
    }
}
