package dev.microvmsandbox.backend.qemu;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Templates are off by default: a class that tests them turns them on for its own run, then off. */
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
