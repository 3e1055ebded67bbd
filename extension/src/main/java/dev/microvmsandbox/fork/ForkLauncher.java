package dev.microvmsandbox.fork;

import dev.microvmsandbox.backend.Backend;
import dev.microvmsandbox.backend.SandboxConfig;
import dev.microvmsandbox.backend.SandboxException;
import dev.microvmsandbox.backend.selection.BackendSelection;
import dev.microvmsandbox.containerimage.ImageArchive;
import dev.microvmsandbox.containerimage.ImageSources;
import dev.microvmsandbox.settings.ProjectSettings;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apiguardian.api.API;

/**
 * The forked test JVM Surefire and Failsafe start, when the Maven plugin's script is their
 * {@code jvm}: {@code ForkLauncher SETTINGS_FILE JAVA_ARGUMENTS...}. It reads the command line for
 * the host files it names, boots a sandbox that shows exactly those read-only at their own paths,
 * loads the project's container images, runs {@code java} with the same arguments in the guest (in a
 * writable folder at the working folder's path), relays stdin, stdout (through
 * {@link SurefireEventFilter}) and stderr, and exits with the fork's status (see {@link SandboxFork}).
 * With the plugin's {@code forkCount} above 1 or {@code reuseForks=false}, the fork's test classes are
 * split over several sandboxes instead (see {@link SplitFork}). Progress goes to stderr, one line per
 * slow step, which Surefire prints to the console.
 */
@API(status = API.Status.INTERNAL)
public final class ForkLauncher {

    /** How long a fork may run in the guest when {@code microvm.sandbox.timeout} does not say. */
    static final Duration DEFAULT_TIMEOUT = Duration.ofHours(2);

    /**
     * The sandbox outlives its fork's limit by this much (boot and image loading come first), so the
     * fork's own limit is what ends a fork that runs too long, with a message that says so.
     */
    static final Duration SANDBOX_SLACK = Duration.ofMinutes(15);

    /**
     * How long a guest may take to come up. Generous: a busy CI host (several TCG guests on two cores)
     * boots in minutes; the fork's own limit bounds the run, this only catches a guest that never
     * comes up.
     */
    static final Duration BOOT_TIMEOUT = Duration.ofMinutes(10);

    static final String PULL_POLICY_ENV = "TESTCONTAINERS_PULL_POLICY";
    static final String PULL_POLICY = "dev.microvmsandbox.testcontainers.PreloadedImagePullPolicy";

    /** The image's own Java; a fork meant for a newer one gets the host's Java home instead. */
    static final int GUEST_JAVA_FEATURE = 17;

    private final InputStream stdin;
    private final OutputStream stdout;
    private final LauncherConsole console;
    private final Map<String, String> environment;
    private final Path workingDirectory;

    ForkLauncher(
            InputStream stdin,
            OutputStream stdout,
            PrintStream stderr,
            Map<String, String> environment,
            Path workingDirectory) {
        this.stdin = stdin;
        this.stdout = stdout;
        this.console = new LauncherConsole(stderr);
        this.environment = environment;
        this.workingDirectory = workingDirectory;
    }

    public static void main(String[] args) {
        ForkLauncher launcher = new ForkLauncher(
                System.in,
                new java.io.FileOutputStream(java.io.FileDescriptor.out),
                System.err,
                System.getenv(),
                Path.of("").toAbsolutePath());
        System.exit(launcher.run(List.of(args)));
    }

    /** @return the fork's exit status, or 1 when it could not run (the reason is on stderr) */
    int run(List<String> args) {
        if (args.isEmpty()) {
            console.say("usage: ForkLauncher SETTINGS_FILE JAVA_ARGUMENTS...; the microvm-sandbox-maven-plugin's "
                    + "prepare goal writes a script that calls it");
            return 1;
        }
        try {
            ForkSettings settings = ForkSettings.read(Path.of(args.get(0)));
            ProjectSettings sandbox = settings.sandbox(environment::get);
            try (ForkPlan plan = ForkPlan.of(args.subList(1, args.size()), workingDirectory, settings, sandbox)) {
                if (!plan.withheldProperties().isEmpty()) {
                    console.say(plan.name() + ": system properties not passed to the sandbox (set them in the pom's "
                            + "systemPropertyVariables or list them in microvm.sandbox.systemProperties): "
                            + String.join(", ", plan.withheldProperties()));
                }
                SandboxConfig config = sandbox.applyTo(SandboxConfig.defaults())
                        .withTimeout(sandbox.timeout().orElse(DEFAULT_TIMEOUT).plus(SANDBOX_SLACK))
                        .withBootTimeout(sandbox.bootTimeout().orElse(BOOT_TIMEOUT))
                        .withHostPaths(plan.hostPaths());
                if (javaFeature(settings.javaHome()) > GUEST_JAVA_FEATURE) {
                    config = config.withHostJavaHome(settings.javaHome());
                }
                ImageSources images = ImageSources.forProject(settings.projectDir());
                // before the VM boots: a missing image costs no boot
                List<ImageArchive> archives = images.resolve(sandbox.images());
                Backend backend = BackendSelection.standard()
                        .choose(key -> key.equals(BackendSelection.PARAMETER) ? sandbox.backend() : Optional.empty());
                SandboxFork sandboxes = new SandboxFork(
                        console,
                        workingDirectory,
                        backend,
                        config,
                        sandbox.timeout().orElse(DEFAULT_TIMEOUT),
                        images,
                        archives,
                        withPullPolicy(
                                GuestInheritance.environment(environment, settings, sandbox)
                                        .passed(),
                                plan.hostPaths()),
                        plan.writableFolders());
                List<ForkPlan.Part> parts = plan.split(settings.forkCount(), !settings.reuseForks());
                if (!parts.isEmpty()) {
                    return new SplitFork(console, sandboxes, plan.surefire().orElseThrow())
                            .run(plan.name(), parts, settings.forkCount(), stdin, stdout);
                }
                return sandboxes.run(
                        plan.name(),
                        plan.guestArguments(),
                        stdin,
                        plan.surefire()
                                .map(v -> new SurefireEventFilter(stdout, v))
                                .orElse(null),
                        stdout);
            }
        } catch (LaunchFailure | IllegalArgumentException | SandboxException e) {
            console.say(e.getMessage());
            return 1;
        } catch (IOException e) {
            console.say("the fork could not start: " + e);
            return 1;
        } catch (UncheckedIOException e) {
            console.say("the fork could not start: " + e.getCause());
            return 1;
        }
    }

    /**
     * The fork's environment, plus Testcontainers' pull policy for preloaded images when its class
     * path has both Testcontainers and this library (the guest cannot pull; under the policy a name
     * a test asks for finds the image preloaded under another registry or prefix). Testcontainers
     * reads {@code pull.policy} from this variable before its properties files.
     */
    static Map<String, String> withPullPolicy(Map<String, String> env, List<Path> hostPaths) {
        boolean testcontainers = hostPaths.stream().anyMatch(p -> jarNamed(p, "testcontainers-"));
        boolean library = hostPaths.stream().anyMatch(p -> jarNamed(p, "microvm-sandbox-junit"));
        if (!testcontainers || !library || env.containsKey(PULL_POLICY_ENV)) {
            return env;
        }
        Map<String, String> with = new java.util.LinkedHashMap<>(env);
        with.put(PULL_POLICY_ENV, PULL_POLICY);
        return with;
    }

    private static boolean jarNamed(Path p, String prefix) {
        String name = p.getFileName() == null ? "" : p.getFileName().toString();
        return name.startsWith(prefix) && name.endsWith(".jar");
    }

    /** The feature version in the Java home's {@code release} file ({@code JAVA_VERSION="21.0.2"} is 21). */
    static int javaFeature(Path javaHome) {
        Path release = javaHome.resolve("release");
        if (!Files.isRegularFile(release)) {
            return Runtime.version().feature();
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(release)) {
            p.load(in);
        } catch (IOException e) {
            return Runtime.version().feature();
        }
        String version = p.getProperty("JAVA_VERSION", "").replace("\"", "");
        String[] parts = version.split("[._+-]");
        try {
            int first = Integer.parseInt(parts[0]);
            return first == 1 && parts.length > 1 ? Integer.parseInt(parts[1]) : first;
        } catch (NumberFormatException e) {
            return Runtime.version().feature();
        }
    }
}
