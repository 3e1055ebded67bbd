package com.example.hostilefork;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A static {@code @RegisterExtension} field: reading it initialises the class and builds the extension. */
class RegisteredExtensionAttackTest {

    @RegisterExtension
    static final MarkingExtension EXTENSION = new MarkingExtension();

    static class MarkingExtension implements BeforeAllCallback {
        MarkingExtension() {
            Marker.leave("registered-extension");
        }

        @Override
        public void beforeAll(ExtensionContext context) {}
    }

    @Test
    void reported() {
        Marker.recordWhereItRuns();
    }
}
