package dev.microvmsandbox.guest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GuestUptimeTest {

    @Test
    void readsTheBootstrapsStepsInOrder(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("boot-phases"), "initramfs 0.98\nroot 1.5\npodman 12\n");
        assertThat(GuestUptime.bootstrapSteps(file))
                .containsExactly(
                        java.util.Map.entry("initramfs", 980L),
                        java.util.Map.entry("root", 1_500L),
                        java.util.Map.entry("podman", 12_000L));
    }

    @Test
    void skipsLinesThatAreNotSteps(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("boot-phases"), "root 1.5\nBAD 2\nagent\nagent x\njvm 3.25\n");
        assertThat(GuestUptime.bootstrapSteps(file)).containsOnlyKeys("root", "jvm");
    }

    @Test
    void hasNoStepsWithoutAFile(@TempDir Path dir) {
        assertThat(GuestUptime.bootstrapSteps(dir.resolve("missing"))).isEmpty();
    }

    @Test
    void readsThisMachinesUptime() {
        assertThat(GuestUptime.millis()).isPositive();
    }
}
