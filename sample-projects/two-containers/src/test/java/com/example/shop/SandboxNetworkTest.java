package com.example.shop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.microvmsandbox.MicroVmSandbox;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;

/**
 * What the sandbox's network looks like from the inside: containers may have podman's private
 * bridge or no network at all, and nothing in the VM reaches anything outside it.
 */
@MicroVmSandbox(images = "docker-archive:target/sample-images/redis.tar")
class SandboxNetworkTest {

    /** Interface names from /proc/net/dev (two header lines, then "name: counters"). */
    static List<String> interfaces(String procNetDev) {
        return procNetDev
                .lines()
                .skip(2)
                .map(line -> line.substring(0, line.indexOf(':')).trim())
                .sorted()
                .collect(Collectors.toList());
    }

    @Test
    void containerWithNetworkModeNoneSeesOnlyLoopback() throws Exception {
        try (GenericContainer<?> isolated = new GenericContainer<>("localhost/samples/redis:7")
                .withNetworkMode("none")
                .withCommand("sleep", "infinity")) {
            isolated.start();
            ExecResult dev = isolated.execInContainer("cat", "/proc/net/dev");
            assertEquals(0, dev.getExitCode(), dev.getStderr());
            System.out.println("network=none container /proc/net/dev:\n" + dev.getStdout());
            assertEquals(List.of("lo"), interfaces(dev.getStdout()));
        }
    }

    @Test
    void bridgedContainerCannotLeaveTheVm() throws Exception {
        try (GenericContainer<?> bridged =
                new GenericContainer<>("localhost/samples/redis:7").withCommand("sleep", "infinity")) {
            bridged.start();
            ExecResult dev = bridged.execInContainer("cat", "/proc/net/dev");
            assertNotEquals(List.of("lo"), interfaces(dev.getStdout()), "a bridged container has an interface");
            // bash's /dev/tcp: the image has no nc or curl
            ExecResult out = bridged.execInContainer(
                    "timeout", "5", "bash", "-c", "exec 3<>/dev/tcp/1.1.1.1/80 && echo connected");
            System.out.println("bridged container to 1.1.1.1:80: exit " + out.getExitCode() + " "
                    + out.getStderr().trim());
            assertNotEquals(0, out.getExitCode(), "a container in the sandbox reached 1.1.1.1:80: " + out.getStdout());
        }
    }

    /** 10.0.2.2 is the host as QEMU user networking would show it; the others are outside. */
    @ParameterizedTest
    @ValueSource(strings = {"10.0.2.2", "1.1.1.1", "8.8.8.8"})
    void guestCannotConnectOutside(String address) {
        IOException failure = assertThrows(
                IOException.class,
                () -> {
                    try (Socket socket = new Socket()) {
                        socket.connect(new InetSocketAddress(address, 80), 2000);
                    }
                },
                "the sandbox reached " + address + ":80");
        System.out.println("connect " + address + ":80 -> " + failure);
    }

    @Test
    void recordsTheKernelItRunsOn() throws Exception {
        String kernel = Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim();
        System.out.println("SANDBOX-KERNEL=" + kernel);
        // boot_id is new at every boot of any kernel: it tells the VM from the host even when their kernels match
        System.out.println("SANDBOX-BOOT-ID="
                + Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).trim());
        System.out.println("guest interfaces: "
                + Arrays.toString(
                        interfaces(Files.readString(Path.of("/proc/net/dev"))).toArray()));
    }
}
