import java.io.IOException;
import java.io.InputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Collections;
import java.util.Properties;

/**
 * Host-side setup of the hostile-fork integration test (trusted build code, run by the pom with the
 * JDK's source launcher):
 *
 * <ul>
 *   <li>{@code listen STATE}: listens on 0.0.0.0 (loopback and the host's own address) on a free port,
 *       writes the port to {@code STATE/listener.port} and one line per accepted connection, with
 *       what the connection sent, to {@code STATE/connections.log}; ends after 60 minutes or with
 *       Maven.</li>
 *   <li>{@code snapshot STATE TESTCLASSES MARKERS}: writes {@code hostile-fork.properties} into the
 *       test classes: the listener's port, the host's address and the host folder where an attack
 *       that runs on the host would leave its marker.</li>
 * </ul>
 */
public class HostListener {

    public static void main(String[] args) throws Exception {
        Path state = Path.of(args[1]);
        Files.createDirectories(state);
        switch (args[0]) {
            case "listen" -> listen(state);
            case "snapshot" -> snapshot(state, Path.of(args[2]), Path.of(args[3]));
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    static void listen(Path state) throws IOException {
        Path log = state.resolve("connections.log");
        Files.writeString(log, "", StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress("0.0.0.0", 0));
            server.setSoTimeout(1000);
            Path tmp = state.resolve("listener.port.tmp");
            Files.writeString(tmp, Integer.toString(server.getLocalPort()));
            Files.move(tmp, state.resolve("listener.port"), StandardCopyOption.ATOMIC_MOVE);
            long end = System.currentTimeMillis() + 60 * 60_000L;
            while (System.currentTimeMillis() < end) {
                try (Socket s = server.accept()) {
                    s.setSoTimeout(2000);
                    byte[] said = new byte[200];
                    int n = 0;
                    try (InputStream in = s.getInputStream()) {
                        n = Math.max(0, in.read(said));
                    } catch (IOException e) {
                        // nothing said
                    }
                    Files.writeString(
                            log,
                            Instant.now() + " connection from " + s.getRemoteSocketAddress() + ": "
                                    + new String(said, 0, n, StandardCharsets.UTF_8).strip() + "\n",
                            StandardOpenOption.APPEND);
                } catch (java.net.SocketTimeoutException e) {
                    // keep listening
                }
            }
        }
    }

    static void snapshot(Path state, Path testClasses, Path markers) throws Exception {
        Path portFile = state.resolve("listener.port");
        for (int i = 0; i < 600 && !Files.exists(portFile); i++) {
            Thread.sleep(100);
        }
        if (!Files.exists(portFile)) {
            throw new IllegalStateException("the listener did not start (no " + portFile + ")");
        }
        Properties p = new Properties();
        p.setProperty("listener.port", Files.readString(portFile).trim());
        p.setProperty("host.address", hostAddress());
        p.setProperty("host.markers", markers.toAbsolutePath().toString());
        Files.createDirectories(testClasses);
        try (var out = Files.newOutputStream(testClasses.resolve("hostile-fork.properties"))) {
            p.store(out, "where a hostile-fork attack would reach the host; written by src/setup/HostListener.java");
        }
    }

    /** The host's first non-loopback IPv4 address, or loopback when it has none. */
    static String hostAddress() throws IOException {
        for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (nic.isUp() && !nic.isLoopback()) {
                for (InetAddress a : Collections.list(nic.getInetAddresses())) {
                    if (a instanceof Inet4Address) {
                        return a.getHostAddress();
                    }
                }
            }
        }
        return "127.0.0.1";
    }
}
