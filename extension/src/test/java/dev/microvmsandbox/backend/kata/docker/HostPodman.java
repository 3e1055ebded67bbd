package dev.microvmsandbox.backend.kata.docker;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The host's own podman serving the Docker Engine API on a socket of its own, with storage of its
 * own (so the host's images are neither read nor changed), adjusted for the two host conditions
 * {@link HostEngineConditions} names where this host has them: the service runs in a mount
 * namespace without the hybrid cgroup2 mount, and a {@code containers.conf} caps the rlimits
 * containers ask for at the hard limits there are. A real engine, with crun as its runtime: what
 * the {@code kata-docker} backend's integration tests run against where there is no Kata.
 */
final class HostPodman implements AutoCloseable {

    /** Set to {@code true} to run the tests that need the host's own podman. */
    static final String HOST_PODMAN_PROPERTY = "microvm.sandbox.it.hostPodman";

    private final Process service;
    private final Path socket;
    private final Path root;
    private final Path runRoot;
    private final List<String> adjustments;

    private HostPodman(Process service, Path socket, Path root, Path runRoot, List<String> adjustments) {
        this.service = service;
        this.socket = socket;
        this.root = root;
        this.runRoot = runRoot;
        this.adjustments = adjustments;
    }

    /**
     * Starts the service with its storage in {@code storage} (kept between runs: a loaded image
     * stays loaded) and its run state in {@code runDir}. Skips the calling test where podman or
     * root is missing.
     */
    static HostPodman start(Path storageDir, Path runDirectory) throws IOException, InterruptedException {
        // conmon runs elsewhere: relative paths would name other folders there
        Path storage = storageDir.toAbsolutePath();
        Path runDir = runDirectory.toAbsolutePath();
        Path podman = onPath("podman");
        assumeTrue(podman != null, "podman is not installed (sandbox-image/install-host.sh installs it)");
        assumeTrue(onPath("unshare") != null, "unshare (util-linux) is not installed");
        assumeTrue("root".equals(System.getProperty("user.name")), "a rootful podman needs root");
        // On the development machine's host (cgroup v1 with a hybrid cgroup2 mount, capped rlimits)
        // crun refuses the sandbox container even with the adjustments below ("setrlimit RLIMIT_NPROC:
        // Operation not permitted"), and podman then never answers the attach. RecipeProofIT runs the
        // kata-docker backend end to end against podman and crun inside a QEMU guest instead.
        assumeTrue(
                Boolean.getBoolean(HOST_PODMAN_PROPERTY),
                "the host's own podman is not used unless -D" + HOST_PODMAN_PROPERTY + "=true: on a host like the "
                        + "development machine crun refuses the sandbox container (setrlimit RLIMIT_NPROC); "
                        + "RecipeProofIT runs the kata-docker backend against podman inside a QEMU guest");
        Files.createDirectories(storage);
        Files.createDirectories(runDir);
        HostEngineConditions conditions = HostEngineConditions.ofThisHost();
        List<String> adjustments = new ArrayList<>();
        StringBuilder script = new StringBuilder();
        if (conditions.cgroups().startsWith("WARN")) {
            adjustments.add("hybrid cgroups: the service runs without /sys/fs/cgroup/unified");
            script.append("umount /sys/fs/cgroup/unified && ");
        }
        ProcessBuilder pb = new ProcessBuilder();
        if (conditions.rlimits().startsWith("WARN")) {
            long nofile = conditions.hardLimit("Max open files").orElse(1024L);
            long nproc = conditions.hardLimit("Max processes").orElse(4096L);
            Path conf = runDir.resolve("containers.conf");
            Files.writeString(
                    conf,
                    "[containers]\ndefault_ulimits = [\"nofile=" + nofile + ":" + nofile + "\", \"nproc=" + nproc + ":"
                            + nproc + "\"]\n");
            pb.environment().put("CONTAINERS_CONF", conf.toString());
            adjustments.add("capped rlimits: containers.conf asks for nofile " + nofile + " and nproc " + nproc);
        }
        Path socket = runDir.resolve("podman.sock");
        Files.deleteIfExists(socket);
        // podman's database remembers the run root it was made with and refuses another one: one
        // per storage folder, short (podman refuses long ones), whatever run folder a test uses
        Path runRoot = Path.of(
                "/run", "msb-podman-" + Integer.toHexString(storage.toString().hashCode()));
        script.append("exec ")
                .append(podman)
                .append(" --root '")
                .append(storage)
                .append("' --runroot '")
                .append(runRoot)
                .append("' --storage-driver overlay system service --time=0 'unix://")
                .append(socket)
                .append("'");
        Path log = runDir.resolve("service.log");
        Process service = pb.command("unshare", "-m", "--propagation", "private", "sh", "-c", script.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        for (int i = 0; i < 600 && !Files.exists(socket) && service.isAlive(); i++) {
            Thread.sleep(100);
        }
        if (!Files.exists(socket)) {
            service.destroyForcibly();
            throw new IllegalStateException("podman system service did not start: " + Files.readString(log));
        }
        return new HostPodman(service, socket, storage, runRoot, adjustments);
    }

    String endpoint() {
        return "unix://" + socket;
    }

    /** What was done to the service for this host's conditions, for the test's log. */
    List<String> adjustments() {
        return adjustments;
    }

    /** Runs the podman client against this service. */
    String podman(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("podman", "--remote", "--url", endpoint()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
        }
        return out;
    }

    @Override
    public void close() throws InterruptedException {
        service.descendants().forEach(ProcessHandle::destroy);
        service.destroy();
        if (!service.waitFor(30, TimeUnit.SECONDS)) {
            service.descendants().forEach(ProcessHandle::destroyForcibly);
            service.destroyForcibly();
        }
    }

    Path storage() {
        return root;
    }

    Path runRoot() {
        return runRoot;
    }

    static Path onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            Path p = Path.of(dir, program);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }
}
