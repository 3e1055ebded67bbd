package dev.microvmsandbox.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.microvmsandbox.fixtures.HostMarker;
import dev.microvmsandbox.fixtures.HostileDiscoveryFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * The guard as the platform loads it: a real launcher from {@code LauncherFactory}, which finds it
 * through this library's {@code META-INF/services}, and Jupiter on the class path.
 */
class StrictModeGuardTest {

    @AfterEach
    void clearProperties() {
        System.clearProperty(MicroVmSandboxEngine.GUEST_PROPERTY);
        System.clearProperty(HostMarker.PROPERTY);
    }

    private static LauncherDiscoveryRequest request(String mode) {
        LauncherDiscoveryRequestBuilder b = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectClass(HostileDiscoveryFixture.class.getName()));
        if (mode != null) {
            b.configurationParameter("microvm.sandbox.mode", mode);
        }
        return b.build();
    }

    @Test
    void strictModeOnTheHostStopsTheRunBeforeAnyEngineDiscoversAClass(@TempDir Path markers) throws Exception {
        System.setProperty(HostMarker.PROPERTY, markers.toString());

        assertThatThrownBy(() -> LauncherFactory.create().discover(request(" Strict ")))
                .isInstanceOf(StrictModeGuard.StrictModeOnTheHost.class)
                .hasMessageContaining("microvm-sandbox-maven-plugin's prepare goal")
                .hasMessageContaining("<jvm>");
        try (var left = Files.list(markers)) {
            assertThat(left).as("code of the class that ran on the host").isEmpty();
        }
    }

    @Test
    void strictModeAsASystemPropertyStopsItToo() {
        System.setProperty("microvm.sandbox.mode", "strict");
        try {
            assertThatThrownBy(() -> LauncherFactory.create().discover(request(null)))
                    .isInstanceOf(StrictModeGuard.StrictModeOnTheHost.class);
        } finally {
            System.clearProperty("microvm.sandbox.mode");
        }
    }

    /** Runs after the strict test in no particular order: Jupiter may initialise the fixture here, on purpose. */
    @Test
    void otherModesAndTheGuestPass() {
        assertThat(LauncherFactory.create().discover(request("mixed")).getRoots())
                .isNotEmpty();
        assertThat(LauncherFactory.create().discover(request(null)).getRoots()).isNotEmpty();
        System.setProperty(MicroVmSandboxEngine.GUEST_PROPERTY, "true");
        assertThat(LauncherFactory.create().discover(request("strict")).getRoots())
                .isNotEmpty();
    }
}
