package com.example.hostilefork;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;

/**
 * What each attack does once it runs: leaves a marker file in the host folder the build names, and
 * connects to the build's listener on the host (at loopback, the host's address and QEMU's usual
 * gateway), saying which attack it is. In the sandbox both land nowhere on the host: the folder is the
 * guest's own, there is no network. verify.groovy looks for both from outside.
 */
public final class Marker {

    private static final Properties TARGETS = new Properties();

    static {
        try (InputStream in = Marker.class.getResourceAsStream("/hostile-fork.properties")) {
            if (in == null) {
                throw new IllegalStateException("hostile-fork.properties is missing (did the setup run?)");
            }
            TARGETS.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Marker() {}

    /** The folder on the host where an attack that ran on the host would leave its marker. */
    public static Path folder() {
        return Path.of(TARGETS.getProperty("host.markers"));
    }

    public static void leave(String attack) {
        String boot = bootId();
        try {
            Files.createDirectories(folder());
            Files.writeString(folder().resolve(attack), "ran on boot " + boot + "\n");
        } catch (IOException e) {
            System.err.println("HOSTILE-FORK " + attack + " could not write its marker: " + e);
        }
        int port = Integer.parseInt(TARGETS.getProperty("listener.port"));
        for (String host : List.of("127.0.0.1", TARGETS.getProperty("host.address"), "10.0.2.2")) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), 1000);
                OutputStream out = s.getOutputStream();
                out.write((attack + " from boot " + boot + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (IOException e) {
                // contained: no route to the host
            }
        }
    }

    public static String bootId() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** What the build's check reads to tell where a test ran. */
    public static void recordWhereItRuns() {
        try {
            System.out.println("SANDBOX-KERNEL="
                    + Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        System.out.println("SANDBOX-BOOT-ID=" + bootId());
    }
}
