package com.example.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.microvmsandbox.MicroVmSandbox;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Tries to reach the host's listener (at the host's loopback, at its own address, and at QEMU's
 * usual user-network gateway) and the internet. verify.groovy checks the listener saw nothing.
 */
@MicroVmSandbox(memory = "1g", timeout = "5m")
class NetworkEscapeTest {

    @Test
    void noConnectionLeavesTheVm() {
        int port = Integer.parseInt(Host.get("listener.port"));
        List<InetSocketAddress> targets = List.of(
                new InetSocketAddress("127.0.0.1", port),
                new InetSocketAddress(Host.get("host.address"), port),
                new InetSocketAddress("10.0.2.2", port),
                new InetSocketAddress("1.1.1.1", 80));
        List<String> connected = new ArrayList<>();
        for (InetSocketAddress t : targets) {
            try (Socket s = new Socket()) {
                s.connect(t, 3000);
                s.getOutputStream().write("hello from a hostile test\n".getBytes());
                connected.add(t.toString());
                Host.report("connect " + t + " CONNECTED");
            } catch (IOException e) {
                Host.report("connect " + t + " failed: " + e);
            }
        }
        assertTrue(connected.isEmpty(), "connections left the sandbox: " + connected);
    }

    @Test
    void onlyLoopbackExists() throws Exception {
        List<String> interfaces = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/net/dev"))) {
            if (line.contains(":")) {
                interfaces.add(line.substring(0, line.indexOf(':')).trim());
            }
        }
        Host.report("interfaces " + interfaces);
        assertEquals(
                List.of("lo"),
                interfaces.stream()
                        .filter(i -> !i.startsWith("podman") && !i.startsWith("veth"))
                        .toList(),
                "the guest has a network interface besides lo");
    }
}
