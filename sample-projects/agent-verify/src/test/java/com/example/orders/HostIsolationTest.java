package com.example.orders;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * What an agent's test could try against the build host, and must not get: its environment,
 * its files, its network.
 */
class HostIsolationTest {

    /** The build sets this variable on the host (see the integration test); it must not pass. */
    @Test
    void hostEnvironmentDoesNotLeakIn() {
        assertNull(System.getenv("MICROVM_SANDBOX_HOST_SECRET"), "a host environment variable reached the sandbox");
    }

    @Test
    void hostSecretsAreNotVisible() {
        String home = System.getProperty("user.home");
        assertFalse(Files.exists(Path.of(home, ".ssh", "id_rsa")), "~/.ssh/id_rsa is visible");
        assertFalse(
                Files.exists(Path.of(home, ".m2", "settings-security.xml")), "~/.m2/settings-security.xml is visible");
    }

    @Test
    void cannotReachTheInternet() {
        assertThrows(IOException.class, () -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("1.1.1.1", 443), 2000);
            }
        });
    }

    /** Which machine this class ran on; the build's check compares it with the host and the other classes. */
    @Test
    void recordsTheMachineItRunsOn() throws IOException {
        System.out.println("SANDBOX-KERNEL="
                + Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim());
        System.out.println("SANDBOX-BOOT-ID="
                + Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).trim());
    }
}
