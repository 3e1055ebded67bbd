package dev.microvmsandbox.guest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** When the agent collects after a run (the collection's effect: {@code AgentHeapTest}). */
class IdleHeapTest {

    @TempDir
    Path sysfs;

    @Test
    void findsTheBalloonByTheDeviceItsDriverServes() throws Exception {
        Path driver = Files.createDirectories(sysfs.resolve("virtio_balloon"));
        Files.createFile(driver.resolve("bind"));
        Files.createFile(driver.resolve("uevent"));
        assertThat(IdleHeap.servesADevice(driver)).as("a driver with no device").isFalse();
        Files.createDirectory(driver.resolve("virtio4"));
        assertThat(IdleHeap.servesADevice(driver)).isTrue();
        assertThat(IdleHeap.servesADevice(sysfs.resolve("absent")))
                .as("no driver loaded")
                .isFalse();
    }

    @Test
    void aGuestWithoutABalloonNeverCollects() {
        assertThat(new IdleHeap(false).release(4L << 30)).isFalse();
        assertThat(new IdleHeap(true).release(IdleHeap.COMMITTED_LIMIT)).isFalse();
    }
}
