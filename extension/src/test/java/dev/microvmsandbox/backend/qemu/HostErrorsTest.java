package dev.microvmsandbox.backend.qemu;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.microvmsandbox.backend.SandboxConfig;
import dev.microvmsandbox.backend.SandboxException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A host that lacks a part gets one sentence naming the fix, before anything boots. */
class HostErrorsTest {

    @AfterEach
    void clear() {
        System.clearProperty("microvm.sandbox.qemu");
        System.clearProperty("microvm.sandbox.image");
    }

    @Test
    void missingQemuNamesThePackage() {
        System.setProperty("microvm.sandbox.qemu", "/nonexistent/qemu-system-x86_64");
        assertThatThrownBy(() -> QemuBackend.create().start(SandboxConfig.defaults()))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("qemu-system-x86_64 was not found")
                .hasMessageContaining("apt-get install qemu-system-x86");
    }

    @Test
    void missingImageNamesTheBuildCommand() {
        System.setProperty("microvm.sandbox.qemu", "/bin/true");
        System.setProperty("microvm.sandbox.image", "/nonexistent/guest");
        assertThatThrownBy(() -> QemuBackend.create().start(SandboxConfig.defaults()))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("holds no complete guest image")
                .hasMessageContaining("sandbox-image/build.sh");
    }
}
