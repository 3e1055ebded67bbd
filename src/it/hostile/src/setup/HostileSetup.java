import java.io.IOException;
import java.io.OutputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * Host-side setup of the hostile integration test (trusted build code, run by the pom with the
 * JDK's source launcher, and by verify.groovy). Four modes, each writing into the state folder
 * (target/hostile-setup):
 *
 * <ul>
 *   <li>{@code plant STATE LOCALREPO VMTMP}: plants a secret file with random content at
 *       {@code $TMPDIR/microvm-hostile-secret-<random>} (mode 0600), records its path (not its
 *       content), creates the Surefire fork's temporary folder {@code VMTMP}, the hashes of the
 *       host's /etc/shadow and ~/.m2/settings.xml, the host's memory, the local repository and
 *       the start time.</li>
 *   <li>{@code listen STATE}: listens on 0.0.0.0 (every host address, loopback included) on a free
 *       port, writes the port to {@code listener.port} and appends one line per accepted connection
 *       to {@code connections.log}; ends after 90 minutes or when Maven ends it.</li>
 *   <li>{@code snapshot STATE TESTCLASSES}: writes {@code hostile.properties} into the test classes
 *       (paths and port the attacks aim at) and hashes the test classes and the library's jar in
 *       the local repository into {@code before.sha256}.</li>
 *   <li>{@code memory STATE VMTMP}: the host's memory after the run, into {@code memory.properties}:
 *       MemAvailable and what other builds' processes hold, measured as the plant measured it.</li>
 * </ul>
 */
public class HostileSetup {

    public static void main(String[] args) throws Exception {
        Path state = Path.of(args[1]);
        Files.createDirectories(state);
        switch (args[0]) {
            case "plant" -> plant(state, Path.of(args[2]), Path.of(args[3]));
            case "listen" -> listen(state);
            case "snapshot" -> snapshot(state, Path.of(args[2]));
            case "memory" -> memory(state, Path.of(args[2]));
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    static void plant(Path state, Path localRepo, Path vmTmp) throws IOException {
        // the listener starts after this and writes these afresh; a stale port must never be read
        Files.deleteIfExists(state.resolve("listener.port"));
        Files.deleteIfExists(state.resolve("connections.log"));
        // reports of an earlier run in the same folder must not speak for this one
        Path reports = state.toAbsolutePath().getParent().resolve("surefire-reports");
        if (Files.isDirectory(reports)) {
            try (Stream<Path> old = Files.walk(reports)) {
                for (Path f : (Iterable<Path>) old.sorted(java.util.Comparator.reverseOrder())::iterator) {
                    Files.delete(f);
                }
            }
        }
        SecureRandom random = new SecureRandom();
        byte[] bytes = new byte[16];
        random.nextBytes(bytes);
        String token = HexFormat.of().formatHex(bytes);
        Path secret = Path.of(System.getProperty("java.io.tmpdir"), "microvm-hostile-secret-" + token.substring(0, 12));
        random.nextBytes(bytes);
        String content = "HOSTILE-FILE-SECRET-" + HexFormat.of().formatHex(bytes);
        Files.writeString(secret, content + "\n");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        Properties p = new Properties();
        p.setProperty("secret.path", secret.toString());
        p.setProperty("local.repo", localRepo.toAbsolutePath().toString());
        p.setProperty("shadow.sha256", hashOrAbsent(Path.of("/etc/shadow")));
        Path settings = Path.of(System.getProperty("user.home"), ".m2", "settings.xml");
        p.setProperty("m2.settings.path", settings.toString());
        p.setProperty("m2.settings.sha256", hashOrAbsent(settings));
        p.setProperty("user.home", System.getProperty("user.home"));
        p.setProperty("memavailable.kb.before", memAvailableKb());
        // what other builds' qemu and JVMs hold now: Invoker builds may run side by side
        p.setProperty("foreign.kb.before", Long.toString(foreignKb(state, vmTmp)));
        p.setProperty("start.millis", Long.toString(System.currentTimeMillis()));
        p.setProperty("host.address", hostAddress());
        Files.createDirectories(vmTmp);
        p.setProperty("vm.tmpdir", vmTmp.toAbsolutePath().toString());
        store(p, state.resolve("setup.properties"));
        System.out.println("[hostile-setup] planted a secret at " + secret + "; host state in " + state);
    }

    static void listen(Path state) throws IOException {
        Path log = state.resolve("connections.log");
        Files.writeString(log, "", StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress("0.0.0.0", 0));
            server.setSoTimeout(1000);
            Path portFile = state.resolve("listener.port");
            Path tmp = state.resolve("listener.port.tmp");
            Files.writeString(tmp, Integer.toString(server.getLocalPort()));
            Files.move(tmp, portFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            System.out.println("[hostile-setup] listening on 0.0.0.0:" + server.getLocalPort());
            long end = System.currentTimeMillis() + 90 * 60_000L;
            while (System.currentTimeMillis() < end) {
                try (Socket s = server.accept()) {
                    String line = Instant.now() + " connection from " + s.getRemoteSocketAddress() + "\n";
                    Files.writeString(log, line, StandardOpenOption.APPEND);
                } catch (java.net.SocketTimeoutException e) {
                    // keep listening
                }
            }
        }
    }

    static void snapshot(Path state, Path testClasses) throws Exception {
        Properties setup = load(state.resolve("setup.properties"));
        Path portFile = state.resolve("listener.port");
        for (int i = 0; i < 600 && !Files.exists(portFile); i++) {
            Thread.sleep(100);
        }
        if (!Files.exists(portFile)) {
            throw new IllegalStateException("the hostile listener did not start (no " + portFile + ")");
        }
        Path jar = Path.of(
                setup.getProperty("local.repo"),
                "dev",
                "microvmsandbox",
                "microvm-sandbox-junit",
                "0.1.0-SNAPSHOT",
                "microvm-sandbox-junit-0.1.0-SNAPSHOT.jar");
        Properties forTests = new Properties();
        forTests.setProperty("secret.path", setup.getProperty("secret.path"));
        forTests.setProperty("listener.port", Files.readString(portFile).trim());
        forTests.setProperty("host.address", setup.getProperty("host.address"));
        forTests.setProperty("host.user.home", setup.getProperty("user.home"));
        forTests.setProperty("local.repo.jar", jar.toString());
        forTests.setProperty("host.test.classes", testClasses.toAbsolutePath().toString());
        Files.createDirectories(testClasses);
        store(forTests, testClasses.resolve("hostile.properties"));
        List<String> lines = new ArrayList<>();
        lines.add(hashOrAbsent(jar) + "  " + jar);
        try (Stream<Path> files = Files.walk(testClasses)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                lines.add(hashOrAbsent(f) + "  " + f);
            }
        }
        Files.write(state.resolve("before.sha256"), lines);
        System.out.println("[hostile-setup] hashed " + lines.size() + " host files the tests will attack");
    }

    static String hostAddress() {
        try {
            for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!ni.isUp() || ni.isLoopback()) {
                    continue;
                }
                for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                    if (a instanceof Inet4Address) {
                        return a.getHostAddress();
                    }
                }
            }
        } catch (IOException e) {
            // fall through
        }
        return "127.0.0.2";
    }

    /** Writes the host's memory now ({@code memory.properties}), for verify.groovy to compare with the plant's. */
    static void memory(Path state, Path vmTmp) throws IOException {
        Properties p = new Properties();
        p.setProperty("memavailable.kb", memAvailableKb());
        p.setProperty("foreign.kb", Long.toString(foreignKb(state, vmTmp)));
        store(p, state.resolve("memory.properties"));
    }

    /**
     * What the qemu and java processes that are not this build's (their command line names neither
     * its folder nor its VM folder) would give back to MemAvailable by ending, in KiB: their
     * anonymous and shared-memory pages. Their file pages (a template's memory file, the JDK's
     * libraries) are page cache: already counted in MemAvailable, and still cached after they end.
     */
    static long foreignKb(Path state, Path vmTmp) {
        String basedir = state.toAbsolutePath().getParent().getParent().toString();
        String vmFolder = vmTmp.toAbsolutePath().toString();
        long self = ProcessHandle.current().pid();
        return ProcessHandle.allProcesses()
                .filter(ph -> ph.pid() != self)
                .filter(ph -> {
                    String c = ph.info().commandLine().orElse("");
                    String cmd = ph.info().command().orElse("");
                    boolean heavy = c.contains("qemu-system") || cmd.endsWith("/java");
                    return heavy && !c.contains(basedir) && !c.contains(vmFolder);
                })
                .mapToLong(ph -> releasableKb(ph.pid()))
                .sum();
    }

    /** RssAnon plus RssShmem of one process, in KiB; 0 once it is gone. */
    static long releasableKb(long pid) {
        try {
            return Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
                    .filter(l -> l.startsWith("RssAnon:") || l.startsWith("RssShmem:"))
                    .map(l -> l.replaceAll("\\D", ""))
                    .mapToLong(Long::parseLong)
                    .sum();
        } catch (IOException | RuntimeException e) {
            return 0L; // gone meanwhile
        }
    }

    static String memAvailableKb() {
        try {
            return Files.readAllLines(Path.of("/proc/meminfo")).stream()
                    .filter(l -> l.startsWith("MemAvailable:"))
                    .map(l -> l.replaceAll("\\D", ""))
                    .findFirst()
                    .orElse("-1");
        } catch (IOException e) {
            return "-1";
        }
    }

    static String hashOrAbsent(Path f) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)));
        } catch (java.nio.file.NoSuchFileException e) {
            return "absent";
        } catch (Exception e) {
            return "unreadable";
        }
    }

    static Properties load(Path f) throws IOException {
        Properties p = new Properties();
        try (var in = Files.newInputStream(f)) {
            p.load(in);
        }
        return p;
    }

    static void store(Properties p, Path f) throws IOException {
        try (OutputStream out = Files.newOutputStream(f)) {
            p.store(out, "written by src/setup/HostileSetup.java");
        }
    }
}
