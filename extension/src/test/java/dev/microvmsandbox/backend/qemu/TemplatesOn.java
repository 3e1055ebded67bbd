package dev.microvmsandbox.backend.qemu;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** A class that tests templates turns them on for its own run, whatever the run says, and then back to the run's default. */
final class TemplatesOn implements BeforeAllCallback, AfterAllCallback {

    @Override
    public void beforeAll(ExtensionContext context) {
        System.setProperty(QemuBackend.TEMPLATES_PROPERTY, "true");
    }

    @Override
    public void afterAll(ExtensionContext context) {
        System.clearProperty(QemuBackend.TEMPLATES_PROPERTY);
    }
}
