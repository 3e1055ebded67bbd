package dev.microvmsandbox.fork;

import dev.microvmsandbox.hostfs.FileTree;
import dev.microvmsandbox.settings.ProjectSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What one fork needs of the host, read from its command line before anything boots: the host files
 * the guest must see, the arguments the guest's {@code java} gets, the folders the fork writes, and,
 * for Surefire's booter, the version whose event protocol its stdout is checked against. For the
 * booter it writes the guest's copies of the booter's properties files into a folder of its own
 * (see {@link SurefireBooterFiles}), which {@link #close} removes.
 */
final class ForkPlan implements AutoCloseable {

    private final String name;
    private final Set<Path> hostPaths;
    private final List<String> guestArguments;
    private final List<Path> writableFolders;
    private final SurefireVersion surefire;
    private final List<String> withheldProperties;
    private final Path ownFolder;
    private final SurefireBooterFiles booterFiles;
    private final Map<String, String> passedProperties;
    private final List<String> javaOptions;

    private ForkPlan(
            String name,
            Set<Path> hostPaths,
            List<String> guestArguments,
            List<Path> writableFolders,
            SurefireVersion surefire,
            List<String> withheldProperties,
            Path ownFolder,
            SurefireBooterFiles booterFiles,
            Map<String, String> passedProperties,
            List<String> javaOptions) {
        this.name = name;
        this.hostPaths = hostPaths;
        this.guestArguments = guestArguments;
        this.writableFolders = writableFolders;
        this.surefire = surefire;
        this.withheldProperties = withheldProperties;
        this.ownFolder = ownFolder;
        this.booterFiles = booterFiles;
        this.passedProperties = passedProperties;
        this.javaOptions = javaOptions;
    }

    /**
     * @throws LaunchFailure when the fork cannot run in a sandbox, saying why
     */
    static ForkPlan of(
            List<String> javaArguments, Path workingDirectory, ForkSettings settings, ProjectSettings sandbox)
            throws IOException {
        ForkCommandLine commandLine = ForkCommandLine.parse(javaArguments, workingDirectory);
        Set<Path> hostPaths = new LinkedHashSet<>(commandLine.hostPaths());
        List<Path> writable = new ArrayList<>(List.of(workingDirectory));
        String tmpdir = commandLine.systemProperties().get("java.io.tmpdir");
        if (tmpdir != null && tmpdir.startsWith("/")) {
            writable.add(Path.of(tmpdir));
        }
        if (!commandLine.isSurefireBooter()) {
            return new ForkPlan(
                    "fork", hostPaths, javaArguments, writable, null, List.of(), null, null, Map.of(), List.of());
        }
        SurefireVersion version = SurefireVersion.fromClasspath(commandLine.classpathFileNames())
                .orElseThrow(
                        () -> new LaunchFailure(
                                "cannot tell which Surefire or Failsafe version "
                                        + "forked this JVM (no surefire-booter-*.jar on its class path); its events cannot be checked"));
        if (!version.supported()) {
            throw new LaunchFailure("Surefire/Failsafe " + version + " is older than " + SurefireVersion.OLDEST
                    + ", the oldest whose fork protocol the sandbox checks; use 3.2.5 or newer");
        }
        SurefireBooterFiles files = SurefireBooterFiles.read(commandLine.applicationArguments(), workingDirectory);
        String channel = files.forkNodeConnection().orElse("pipe://");
        if (!channel.startsWith("pipe://")) {
            throw new LaunchFailure("the fork is configured to reach Maven over " + channel
                    + " (<forkNode>), which the sandbox has no network for; remove <forkNode> to use the standard "
                    + "streams");
        }
        hostPaths.addAll(files.hostPaths());
        files.reportsDirectory().ifPresent(writable::add);
        GuestInheritance.Decision properties =
                GuestInheritance.systemProperties(files.systemProperties(), settings, sandbox);
        Path ownFolder = Files.createTempDirectory(files.tmpDir(), "microvm-sandbox-");
        List<String> javaOptions = List.copyOf(javaArguments.subList(0, commandLine.applicationStart()));
        List<String> guestArguments = new ArrayList<>(javaOptions);
        guestArguments.addAll(files.writeGuestCopies(ownFolder, properties.passed()));
        hostPaths.add(ownFolder);
        return new ForkPlan(
                forkName(commandLine.applicationArguments().get(1)),
                hostPaths,
                guestArguments,
                writable,
                version,
                properties.withheld(),
                ownFolder,
                files,
                properties.passed(),
                javaOptions);
    }

    /**
     * The fork split over {@code sandboxes} sandboxes: with {@code perClass}, one part per test class
     * (each in a sandbox of its own, {@code sandboxes} at once); otherwise the classes dealt round-robin
     * into at most {@code sandboxes} parts. Each part gets booter copies that list only its classes, so
     * its fork runs those and nothing else. Empty when there is nothing to split: not Surefire's booter,
     * no class list (a fork that is handed its classes one by one), or one part.
     */
    List<Part> split(int sandboxes, boolean perClass) throws IOException {
        if (booterFiles == null || (sandboxes < 2 && !perClass)) {
            return List.of();
        }
        List<String> classes = booterFiles.testClasses();
        int count = perClass ? classes.size() : Math.min(sandboxes, classes.size());
        if (count < 2) {
            return List.of();
        }
        List<List<String>> shares = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            shares.add(new ArrayList<>());
        }
        for (int i = 0; i < classes.size(); i++) {
            shares.get(i % count).add(classes.get(i));
        }
        List<Part> parts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            List<String> arguments = new ArrayList<>(javaOptions);
            arguments.addAll(
                    booterFiles.writeGuestCopies(ownFolder.resolve("part" + (i + 1)), passedProperties, shares.get(i)));
            parts.add(new Part(name + "." + (i + 1), List.copyOf(shares.get(i)), List.copyOf(arguments)));
        }
        return parts;
    }

    /** One sandbox's share of a split fork: its name on the console, its classes, what follows {@code java}. */
    record Part(String name, List<String> classes, List<String> guestArguments) {}

    /** Surefire names the dump file {@code <stamp>-jvmRun<N>}: the fork's name is its last part. */
    static String forkName(String dumpName) {
        int dash = dumpName.lastIndexOf('-');
        String name = dash < 0 ? dumpName : dumpName.substring(dash + 1);
        return name.matches("[A-Za-z0-9_.]{1,40}") ? name : "fork";
    }

    /** {@code jvmRun1} for Surefire's first fork, {@code fork} otherwise. */
    String name() {
        return name;
    }

    /** The host files and folders the guest must see, those that exist. */
    List<Path> hostPaths() {
        return hostPaths.stream().filter(Files::exists).toList();
    }

    /** What follows {@code java} in the guest. */
    List<String> guestArguments() {
        return guestArguments;
    }

    /** Folders the fork writes into, which the guest makes on its own disk. */
    List<Path> writableFolders() {
        return writableFolders;
    }

    /** The Surefire version whose protocol the fork's stdout speaks, when it is Surefire's booter. */
    Optional<SurefireVersion> surefire() {
        return Optional.ofNullable(surefire);
    }

    /** Names of the fork's system properties the guest does not get. */
    List<String> withheldProperties() {
        return withheldProperties;
    }

    @Override
    public void close() {
        if (ownFolder != null) {
            try {
                FileTree.delete(ownFolder);
            } catch (IOException e) {
                // a leftover in Surefire's temporary folder, removed with it
            }
        }
    }
}
