package dev.microvmsandbox.cli;

import dev.microvmsandbox.backend.Accelerator;
import dev.microvmsandbox.backend.Backend;
import dev.microvmsandbox.backend.ByteSize;
import dev.microvmsandbox.backend.Command;
import dev.microvmsandbox.backend.CommandResult;
import dev.microvmsandbox.backend.Mount;
import dev.microvmsandbox.backend.Sandbox;
import dev.microvmsandbox.backend.SandboxConfig;
import dev.microvmsandbox.backend.SandboxException;
import dev.microvmsandbox.backend.TimeLimit;
import dev.microvmsandbox.backend.kata.docker.HostEngineConditions;
import dev.microvmsandbox.backend.kata.kubernetes.KataKubernetesBackend;
import dev.microvmsandbox.backend.selection.BackendSelection;
import dev.microvmsandbox.guestimage.GuestImage;
import dev.microvmsandbox.guestimage.SandboxImageArchive;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import org.apiguardian.api.API;

/**
 * Diagnostics for users: {@code doctor} checks the host for every backend (the guest image's
 * sha256 included, and the host conditions that stop a container engine) and says which one
 * {@code auto} chooses; {@code image} builds, checks or rebuilds the guest image, or builds the
 * sandbox image archive the Kata backends run ({@code --oci}); {@code pod-manifest} prints the Pod
 * the {@code kata-kubernetes} backend would create; {@code run} starts a sandbox with the chosen
 * backend and runs one command in it, like {@code container run --rm IMAGE cmd}. Backend settings
 * come from system properties ({@code -Dmicrovm.sandbox.backend=kata-docker}, ...).
 *
 * <pre>
 *   doctor
 *   image [--verify | --rebuild | --oci]
 *   pod-manifest
 *   run [--memory 1g] [--cpus 2] [--timeout 5m] [--boot-timeout 3m] [--disk 4g] [--env NAME=value]...
 *       [--mount HOST_DIR:GUEST_DIR]... [--accelerator auto|kvm|tcg] [--require-kvm]
 *       [--host-java JAVA_HOME] -- COMMAND [ARG]...
 * </pre>
 */
@API(status = API.Status.INTERNAL)
public final class SandboxCli {

    static final String RUN_EXAMPLE = "mvn -q -pl extension exec:java -Dexec.args=\"run -- uname -r\"";

    private final PrintStream out;
    private final PrintStream err;

    SandboxCli(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        System.exit(new SandboxCli(System.out, System.err).run(args));
    }

    int run(String[] args) {
        if (args.length == 0 || args[0].equals("help") || args[0].equals("--help")) {
            usage();
            return args.length == 0 ? 2 : 0;
        }
        try {
            return switch (args[0]) {
                case "doctor" -> doctor();
                case "image" -> image(Arrays.asList(args).subList(1, args.length));
                case "pod-manifest" -> podManifest();
                case "run" -> runCommand(Arrays.asList(args).subList(1, args.length));
                default -> {
                    err.println("unknown command '" + args[0] + "'");
                    usage();
                    yield 2;
                }
            };
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return 2;
        } catch (SandboxException e) {
            err.println("error: " + e.getMessage());
            return 3;
        }
    }

    private int doctor() {
        Function<String, Optional<String>> parameters = SandboxCli::property;
        BackendSelection selection = BackendSelection.standard();
        boolean imageOk = true;
        for (Backend backend : selection.all(parameters)) {
            out.println("== backend " + backend.name());
            backend.availability().report().forEach(out::println);
            if (backend.name().equals("qemu")) {
                imageOk = imageMatchesManifest();
            }
        }
        out.println("== host conditions for a container engine here (kata-docker with an engine on this host)");
        HostEngineConditions.ofThisHost().report().forEach(out::println);
        String configured = property(BackendSelection.PARAMETER).orElse(BackendSelection.AUTO);
        try {
            Backend chosen = selection.choose(parameters);
            boolean usable = !chosen.name().equals("qemu") || imageOk;
            out.println(
                    usable
                            ? "The host can run sandboxes with backend " + chosen.name() + " ("
                                    + BackendSelection.PARAMETER + "=" + configured + "). Next: " + RUN_EXAMPLE
                            : "The host cannot run sandboxes yet: fix the FAIL lines above, then run doctor again.");
            return usable && chosen.availability().usable() ? 0 : 1;
        } catch (SandboxException e) {
            out.println("The host cannot run sandboxes yet (" + BackendSelection.PARAMETER + "=" + configured + "): "
                    + e.getMessage().lines().findFirst().orElse("") + " Fix the FAIL lines of the backend you want, "
                    + "then run doctor again.");
            return 1;
        }
    }

    private static Optional<String> property(String name) {
        return Optional.ofNullable(System.getProperty(name)).filter(s -> !s.isBlank());
    }

    /** The Pod the kata-kubernetes backend would create with the default limits and these settings. */
    private int podManifest() {
        out.print(KataKubernetesBackend.podManifest(SandboxCli::property, SandboxConfig.defaults()));
        return 0;
    }

    /** The backend's own check compares sizes only; the doctor reads every file once. */
    private boolean imageMatchesManifest() {
        Optional<GuestImage> image = GuestImage.findBuilt();
        if (image.isEmpty()) {
            return true;
        }
        try {
            image.get().verify(GuestImage.Verification.FULL);
            out.println("ok    guest image: every file matches its manifest's sha256");
            return true;
        } catch (SandboxException e) {
            out.println(Backend.Availability.FAIL + "  " + e.getMessage());
            return false;
        }
    }

    /**
     * Prints the guest image's folder, building it if missing: {@code --verify} also compares
     * every file's sha256 with the manifest, {@code --rebuild} builds it again and puts it in
     * place of the cached one.
     */
    private int image(List<String> args) {
        String mode = args.isEmpty() ? "" : args.get(0);
        if (args.size() > 1 || !List.of("", "--verify", "--rebuild", "--oci").contains(mode)) {
            throw new IllegalArgumentException(
                    "image takes nothing, --verify, --rebuild or --oci; got " + String.join(" ", args));
        }
        long t0 = System.nanoTime();
        if (mode.equals("--oci")) {
            SandboxImageArchive archive = SandboxImageArchive.resolve();
            err.println("sandbox image " + archive.imageName() + " (" + (System.nanoTime() - t0) / 1_000_000
                    + " ms); load it with docker load -i, or push it: skopeo copy oci-archive:" + archive.archive()
                    + " docker://REGISTRY/microvm-sandbox/sandbox:TAG");
            out.println(archive.archive());
            return 0;
        }
        GuestImage image = mode.equals("--rebuild") ? GuestImage.rebuild() : GuestImage.resolve();
        GuestImage.Verification level = mode.isEmpty() ? GuestImage.Verification.SIZES : GuestImage.Verification.FULL;
        image.verify(level);
        err.println((level == GuestImage.Verification.FULL
                        ? "every file matches its manifest's sha256"
                        : "every file is there with its manifest's size (image --verify compares sha256)")
                + " (" + (System.nanoTime() - t0) / 1_000_000 + " ms)");
        out.println(image.directory());
        return 0;
    }

    private int runCommand(List<String> args) {
        SandboxConfig config = SandboxConfig.defaults().withTimeout(Duration.ofMinutes(10));
        List<String> command = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--")) {
                command.addAll(args.subList(i + 1, args.size()));
                break;
            }
            if (!a.startsWith("--")) {
                command.addAll(args.subList(i, args.size()));
                break;
            }
            if (a.equals("--require-kvm")) {
                config = config.withRequireHardwareIsolation(true);
                continue;
            }
            if (i + 1 >= args.size()) {
                throw new IllegalArgumentException(a + " needs a value");
            }
            String v = args.get(++i);
            config = switch (a) {
                case "--memory" -> config.withMemory(v);
                case "--cpus" -> config.withCpus(parseInt(v, "--cpus"));
                case "--timeout" -> config.withTimeout(TimeLimit.parse(v));
                case "--boot-timeout" -> config.withBootTimeout(TimeLimit.parse(v));
                case "--disk" -> config.withDisk(ByteSize.parse(v));
                case "--env" -> config.withEnv(List.of(v));
                case "--mount" -> config.withMounts(List.of(Mount.parse(v)));
                case "--accelerator" -> config.withAccelerator(Accelerator.valueOf(v.toUpperCase(Locale.ROOT)));
                case "--host-java" -> config.withHostJavaHome(java.nio.file.Path.of(v));
                default -> throw new IllegalArgumentException("unknown option " + a);
            };
        }
        if (command.isEmpty()) {
            throw new IllegalArgumentException("no command given; write it like: run -- uname -r");
        }
        long t0 = System.nanoTime();
        err.println("booting sandbox (" + config.memory() + ", " + config.cpus() + " vCPUs)...");
        try (Sandbox sandbox =
                BackendSelection.standard().choose(SandboxCli::property).start(config)) {
            err.println("ready in " + (System.nanoTime() - t0) / 1_000_000 + " ms: " + sandbox.acceleration());
            CommandResult r = sandbox.exec(Command.of(command)
                    .withTimeout(config.timeout())
                    .withStdoutListener(out::print)
                    .withStderrListener(err::print));
            out.flush();
            if (r.timedOut()) {
                err.println("timed out after " + config.timeout() + "; killed");
            }
            if (r.outputTruncated()) {
                err.println("output truncated at " + config.outputLimit());
            }
            return r.exitCode();
        }
    }

    private static int parseInt(String v, String option) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " takes a whole number, like 2; got '" + v + "'");
        }
    }

    private void usage() {
        err.println("""
                usage: sandbox doctor
                       sandbox image [--verify | --rebuild | --oci]
                       sandbox pod-manifest
                       sandbox run [--memory 1g] [--cpus 2] [--timeout 5m] [--boot-timeout 3m] [--disk 4g] [--env NAME=value]...
                                   [--mount HOST_DIR:GUEST_DIR]... [--accelerator auto|kvm|tcg] [--require-kvm]
                                   [--host-java JAVA_HOME] -- COMMAND [ARG]...""");
    }
}
