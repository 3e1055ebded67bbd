package dev.microvmsandbox.fork;

import dev.microvmsandbox.backend.Backend;
import dev.microvmsandbox.backend.Command;
import dev.microvmsandbox.backend.CommandResult;
import dev.microvmsandbox.backend.Sandbox;
import dev.microvmsandbox.backend.SandboxConfig;
import dev.microvmsandbox.backend.SandboxException;
import dev.microvmsandbox.backend.TimeLimit;
import dev.microvmsandbox.containerimage.ImageArchive;
import dev.microvmsandbox.containerimage.ImageSources;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One fork in one sandbox: boots the sandbox (with the project's images present or loaded), makes the
 * fork's folders, runs {@code java} with the fork's arguments in the guest, relays its streams, and
 * closes the sandbox. Everything but the fork's name, arguments and streams is the same for every
 * fork of a launcher, so one instance runs the parts of a split fork too, one at a time per thread.
 */
final class SandboxFork {

    /** Tells this library's engine, filter and strict-mode guard in the guest's JVM that they are inside. */
    static final String GUEST_FLAG = "-Dmicrovm.sandbox.guest=true";

    /** How much of the guest console a dead sandbox leaves on the build log. */
    static final int CONSOLE_LINES = 20;

    private final LauncherConsole console;
    private final Path workingDirectory;
    private final Backend backend;
    private final SandboxConfig config;
    private final Duration forkTimeout;
    private final ImageSources images;
    private final List<ImageArchive> archives;
    private final Map<String, String> env;
    private final List<Path> writableFolders;

    SandboxFork(
            LauncherConsole console,
            Path workingDirectory,
            Backend backend,
            SandboxConfig config,
            Duration forkTimeout,
            ImageSources images,
            List<ImageArchive> archives,
            Map<String, String> env,
            List<Path> writableFolders) {
        this.console = console;
        this.workingDirectory = workingDirectory;
        this.backend = backend;
        this.config = config;
        this.forkTimeout = forkTimeout;
        this.images = images;
        this.archives = archives;
        this.env = env;
        this.writableFolders = writableFolders;
    }

    /**
     * @param events the fork's stdout checked as Surefire's events, or null to pass it to {@code raw}
     *     as it is (a fork that is not Surefire's booter)
     * @return the fork's exit status, 1 when its sandbox failed
     */
    int run(
            String forkName,
            List<String> guestArguments,
            InputStream stdin,
            SurefireEventFilter events,
            OutputStream raw)
            throws IOException {
        OutputStream stdoutSink = events != null ? events : raw;
        long t0 = System.nanoTime();
        console.say(forkName + ": booting a sandbox (" + backend.name() + ", " + config.memory() + ", " + config.cpus()
                + " vCPUs, " + config.hostPaths().size() + " host paths shown read-only, fork timeout "
                + TimeLimit.format(forkTimeout) + ")");
        // a backend that can start the sandbox with the images (QEMU's image store) does
        Sandbox sandbox = backend.start(
                config.withImages(archives.stream().map(ImageArchive::file).toList()));
        Thread closer = new Thread(sandbox::close, "microvm-sandbox-close");
        Runtime.getRuntime().addShutdownHook(closer);
        try (sandbox) {
            console.say(forkName + ": sandbox " + sandbox.id() + " ready in " + seconds(t0) + " ("
                    + sandbox.acceleration() + ")");
            List<String> command = new ArrayList<>(List.of("java", GUEST_FLAG));
            if (sandbox.emulatesCpu()) {
                command.addAll(EmulatedCpu.JVM_OPTIONS);
                console.say(forkName + ": the guest's CPU is emulated: the fork's JVM gets "
                        + String.join(" ", EmulatedCpu.JVM_OPTIONS) + " before its own options, which override it");
            }
            command.addAll(guestArguments);
            List<ImageArchive> present = archives.stream()
                    .filter(a -> sandbox.startedWithImages().contains(a.file()))
                    .toList();
            for (ImageArchive a : present) {
                console.say(forkName + ": image " + a.source() + " (" + (a.bytes() >> 20) + " MiB) present as "
                        + a.guestNames() + " from the start");
            }
            List<ImageArchive> missing =
                    archives.stream().filter(a -> !present.contains(a)).toList();
            for (ImageSources.Preloaded p : images.preload(sandbox, missing)) {
                console.say(forkName + ": image " + p.archive().source() + " ("
                        + (p.archive().bytes() >> 20)
                        + " MiB) loaded as " + p.archive().guestNames() + " in "
                        + String.format(Locale.ROOT, "%.1f s", (p.copyMillis() + p.loadMillis()) / 1000.0));
            }
            List<String> mkdir = new ArrayList<>(List.of("mkdir", "-p"));
            writableFolders.forEach(f -> mkdir.add(f.toString()));
            CommandResult made = sandbox.exec(Command.of(mkdir).withTimeout(Duration.ofMinutes(1)));
            if (!made.succeeded()) {
                throw new LaunchFailure("cannot make the fork's folders in the sandbox: "
                        + made.stderr().strip());
            }
            console.say(forkName + ": fork started in sandbox " + sandbox.id() + " after " + seconds(t0));
            Command fork = Command.of(command)
                    .withWorkingDirectory(workingDirectory.toString())
                    .withTimeout(forkTimeout)
                    .withStdin(stdin)
                    .withStdoutTo(stdoutSink)
                    .withStderrTo(console.guestStderr());
            for (Map.Entry<String, String> e : env.entrySet()) {
                fork = fork.withEnv(e.getKey(), e.getValue());
            }
            CommandResult result;
            try {
                result = sandbox.exec(fork);
            } catch (SandboxException e) {
                if (events != null) {
                    events.close();
                }
                console.say(forkName + ": " + e.getMessage());
                String tail = sandbox.consoleTail();
                if (tail != null && !tail.isBlank()) {
                    console.say(forkName + ": last lines of the guest console:");
                    tail.lines()
                            .skip(Math.max(0, tail.lines().count() - CONSOLE_LINES))
                            .forEach(console::say);
                }
                return 1;
            }
            if (events != null) {
                events.close();
                events.report().forEach(line -> console.say(forkName + ": " + line));
                if (result.exitCode() != 0) {
                    List<String> rawHead = events.rawHead();
                    if (!rawHead.isEmpty()) {
                        console.say(forkName + ": what the fork wrote to its stdout outside Surefire's events (first "
                                + (SurefireEventFilter.RAW_HEAD >> 10) + " KiB):");
                        rawHead.forEach(line -> console.say(forkName + ": | " + line));
                    }
                }
            }
            if (result.timedOut()) {
                console.say(forkName + ": the fork passed its timeout of " + TimeLimit.format(forkTimeout)
                        + " (microvm.sandbox.timeout) and was killed");
            }
            console.say(forkName + ": fork exited with status " + result.exitCode() + " after " + seconds(t0));
            return result.exitCode();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(closer);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
        }
    }

    private static String seconds(long t0) {
        return String.format(Locale.ROOT, "%.1f s", (System.nanoTime() - t0) / 1e9);
    }
}
