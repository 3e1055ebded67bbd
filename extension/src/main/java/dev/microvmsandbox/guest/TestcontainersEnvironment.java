package dev.microvmsandbox.guest;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Makes Testcontainers in the guest use the guest's podman with no configuration from the user,
 * and nothing from the host's.
 *
 * <p>Testcontainers reads its settings from environment variables, then
 * {@code ~/.testcontainers.properties}, then a {@code testcontainers.properties} on the classpath.
 * The environment is fixed when the agent JVM starts (the bootstrap sets it, see
 * {@link #REQUIRED_ENV}); this class writes a fresh {@code ~/.testcontainers.properties} in the
 * guest's home (the guest's own file: the host's never reaches the VM) and sets the system
 * properties docker-java reads. It must run before any Testcontainers class is loaded, because
 * Testcontainers reads its configuration once.
 *
 * <ul>
 *   <li>{@code docker.host}: the podman socket;</li>
 *   <li>{@code docker.client.strategy}: the environment/properties strategy, so no other
 *       strategy is probed (slow under emulation);</li>
 *   <li>{@code checks.disable}: the start-up checks would run an {@code alpine} image the
 *       sandbox does not have;</li>
 *   <li>{@code ryuk.disabled}: written for readers of the file; Testcontainers itself takes
 *       Ryuk's switch only from the environment variable {@code TESTCONTAINERS_RYUK_DISABLED}
 *       (the VM itself is the reaper: everything dies with it);</li>
 *   <li>no {@code tc.host}: containers are reached on the guest's own localhost;</li>
 *   <li>{@code pull.policy}: where the test classpath has Testcontainers, this library's policy
 *       ({@value #PULL_POLICY}), under which a name a test asks for finds the image preloaded
 *       under another registry or prefix, and a missing image fails at once saying how to add it
 *       (the VM has no network to pull from).</li>
 * </ul>
 */
final class TestcontainersEnvironment {

    static final String FILE_NAME = ".testcontainers.properties";
    /** Named, not referenced: the class implements a Testcontainers interface the classpath may lack. */
    static final String PULL_POLICY = "dev.microvmsandbox.testcontainers.PreloadedImagePullPolicy";
    /** Present on a test classpath that has Testcontainers (1.x and 2.x), looked up without loading it. */
    static final String TESTCONTAINERS_POLICY_TYPE = "org/testcontainers/images/ImagePullPolicy.class";
    /** What the bootstrap must put into the agent JVM's environment (Testcontainers reads these nowhere else). */
    static final Map<String, String> REQUIRED_ENV = Map.of(
            "TESTCONTAINERS_RYUK_DISABLED", "true",
            "TESTCONTAINERS_CHECKS_DISABLE", "true");
    /** Environment variables that would point Testcontainers elsewhere; warned about when present. */
    static final List<String> UNWANTED_ENV = List.of(
            "TESTCONTAINERS_HOST_OVERRIDE", "TESTCONTAINERS_DOCKER_CLIENT_STRATEGY", "TESTCONTAINERS_DOCKER_HOST");

    private TestcontainersEnvironment() {}

    /** Applies the configuration to this JVM; never throws (a failure is logged and tests see it). */
    static void apply() {
        try {
            ClassLoader loader = TestcontainersEnvironment.class.getClassLoader();
            boolean testcontainers = loader != null && loader.getResource(TESTCONTAINERS_POLICY_TYPE) != null;
            apply(System.getenv(), System.getProperties(), System.err, testcontainers);
        } catch (RuntimeException | IOException e) {
            System.err.println("agent: could not configure Testcontainers for podman: " + e);
        }
    }

    /**
     * @return the properties file written
     */
    static Path apply(Map<String, String> env, Properties system, PrintStream log, boolean testcontainers)
            throws IOException {
        String socket = env.getOrDefault(PodmanProbe.SOCKET_ENV, "");
        if (socket.isBlank()) {
            socket = PodmanProbe.DEFAULT_SOCKET;
        }
        String dockerHost = "unix://" + socket;

        // docker-java (shaded inside Testcontainers) also reads DOCKER_HOST from system properties
        if (system.getProperty("DOCKER_HOST") == null) {
            system.setProperty("DOCKER_HOST", dockerHost);
        }

        Path home = Path.of(system.getProperty("user.home", "/root"));
        Path file;
        try {
            file = write(home, content(dockerHost, testcontainers));
        } catch (IOException e) {
            // a read-only home: use a private one (Testcontainers looks in user.home)
            Path tmp = Files.createTempDirectory("msb-home");
            log.println("agent: " + home + " is not writable (" + e.getMessage() + "); Testcontainers' home is " + tmp);
            system.setProperty("user.home", tmp.toString());
            file = write(tmp, content(dockerHost, testcontainers));
        }

        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, String> e : REQUIRED_ENV.entrySet()) {
            if (!e.getValue().equalsIgnoreCase(env.getOrDefault(e.getKey(), ""))) {
                problems.add(e.getKey() + "=" + e.getValue() + " is not set");
            }
        }
        String envDockerHost = env.get("DOCKER_HOST");
        if (envDockerHost != null && !envDockerHost.equals(dockerHost)) {
            problems.add("DOCKER_HOST=" + envDockerHost + " overrides the podman socket " + dockerHost);
        }
        for (String name : UNWANTED_ENV) {
            if (env.containsKey(name)) {
                problems.add(name + " is set and overrides the sandbox's Testcontainers configuration");
            }
        }
        if (!problems.isEmpty()) {
            log.println("agent: Testcontainers environment: " + String.join("; ", problems)
                    + " (the bootstrap should start the agent with DOCKER_HOST=" + dockerHost
                    + " TESTCONTAINERS_RYUK_DISABLED=true TESTCONTAINERS_CHECKS_DISABLE=true)");
        }
        return file;
    }

    static String content(String dockerHost, boolean testcontainers) {
        return "# written by the microvm-sandbox guest agent: Testcontainers talks to podman in this VM\n"
                + "docker.host=" + dockerHost + "\n"
                + "docker.client.strategy=org.testcontainers.dockerclient.EnvironmentAndSystemPropertyClientProviderStrategy\n"
                + "checks.disable=true\n"
                + "# read from the environment only (TESTCONTAINERS_RYUK_DISABLED); here for people reading this file\n"
                + "ryuk.disabled=true\n"
                + (testcontainers
                        ? "# nothing can be pulled: images come from those preloaded into the sandbox\n"
                                + "pull.policy=" + PULL_POLICY + "\n"
                        : "");
    }

    private static Path write(Path home, String content) throws IOException {
        Files.createDirectories(home);
        Path file = home.resolve(FILE_NAME);
        Path tmp = Files.createTempFile(home, FILE_NAME, ".tmp");
        try {
            Files.writeString(tmp, content);
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        return file;
    }
}
