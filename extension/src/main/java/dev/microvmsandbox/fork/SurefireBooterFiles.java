package dev.microvmsandbox.fork;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The files Surefire's forked booter reads, named by its arguments
 * {@code TMPDIR DUMPNAME BOOTERFILE [SYSPROPSFILE]} (the last two relative to {@code TMPDIR}): the
 * booter properties (provider configuration, the class path again as {@code classPathUrl.N} and
 * {@code surefireClassPathUrl.N}, the test classes folder, the fork channel, the plugin's pid) and
 * the system properties the fork sets on itself. The guest gets copies written into a folder of the
 * launcher's own: the system properties filtered by {@link GuestInheritance}, the booter properties
 * without the plugin's pid (the guest cannot see that process, and a process checker would take it for
 * dead).
 */
final class SurefireBooterFiles {

    static final String PLUGIN_PID = "pluginPid";
    static final String FORK_NODE = "forkNodeConnectionString";

    /** {@code tc.0}, {@code tc.1}, ...: the test classes the plugin found by file name, which the fork runs. */
    static final String TEST_CLASS = "tc.";

    private final Path tmpDir;
    private final String dumpName;
    private final String booterName;
    private final String systemPropertiesName;
    private final Map<String, String> booter;
    private final Map<String, String> systemProperties;

    private SurefireBooterFiles(
            Path tmpDir,
            String dumpName,
            String booterName,
            String systemPropertiesName,
            Map<String, String> booter,
            Map<String, String> systemProperties) {
        this.tmpDir = tmpDir;
        this.dumpName = dumpName;
        this.booterName = booterName;
        this.systemPropertiesName = systemPropertiesName;
        this.booter = booter;
        this.systemProperties = systemProperties;
    }

    /**
     * @param arguments the booter's program arguments
     * @throws IllegalArgumentException when they are not the booter's, or name a file outside its folder
     */
    static SurefireBooterFiles read(List<String> arguments, Path workingDirectory) throws IOException {
        if (arguments.size() < 3) {
            throw new IllegalArgumentException(
                    "Surefire's forked booter takes TMPDIR DUMPNAME BOOTERFILE [SYSPROPSFILE]; " + "got " + arguments);
        }
        Path tmpDir =
                workingDirectory.resolve(arguments.get(0)).toAbsolutePath().normalize();
        String booterName = plainName(arguments.get(2));
        String systemName = arguments.size() > 3 ? plainName(arguments.get(3)) : null;
        Map<String, String> booter = load(tmpDir.resolve(booterName));
        Map<String, String> system = systemName == null ? new LinkedHashMap<>() : load(tmpDir.resolve(systemName));
        return new SurefireBooterFiles(tmpDir, arguments.get(1), booterName, systemName, booter, system);
    }

    private static String plainName(String name) {
        if (name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("'" + name + "' is not a file name in Surefire's temporary folder");
        }
        return name;
    }

    private static Map<String, String> load(Path file) throws IOException {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        }
        Map<String, String> map = new TreeMap<>();
        p.stringPropertyNames().forEach(k -> map.put(k, p.getProperty(k)));
        return map;
    }

    /** The host files the booter properties name: the class paths, test classes, TestNG suite files. */
    List<Path> hostPaths() {
        List<Path> paths = new ArrayList<>();
        booter.forEach((key, value) -> {
            if (key.startsWith("classPathUrl.")
                    || key.startsWith("surefireClassPathUrl.")
                    || key.startsWith("testSuiteXmlFiles.")
                    || key.equals("testClassesDirectory")) {
                Path p = Path.of(value);
                if (p.isAbsolute() && Files.exists(p)) {
                    paths.add(p.normalize());
                }
            }
        });
        return paths;
    }

    /** How the fork talks to the plugin: {@code pipe://N} (standard streams) unless configured otherwise. */
    Optional<String> forkNodeConnection() {
        return Optional.ofNullable(booter.get(FORK_NODE));
    }

    /** The reports folder the fork writes its dump files into. */
    Optional<Path> reportsDirectory() {
        return Optional.ofNullable(booter.get("reportsDirectory")).map(Path::of);
    }

    /**
     * The test classes the fork runs when the plugin gives it the whole set up front (one fork that is
     * reused): the plugin's scan of the test classes folder by file name, in its order.
     */
    List<String> testClasses() {
        List<String> classes = new ArrayList<>();
        for (int i = 0; booter.containsKey(TEST_CLASS + i); i++) {
            classes.add(booter.get(TEST_CLASS + i));
        }
        return classes;
    }

    Map<String, String> systemProperties() {
        return systemProperties;
    }

    Path tmpDir() {
        return tmpDir;
    }

    /**
     * Writes the guest's copies into {@code dir} and returns the booter arguments that name them.
     *
     * @param passedSystemProperties the system properties the fork may set in the guest
     */
    List<String> writeGuestCopies(Path dir, Map<String, String> passedSystemProperties) throws IOException {
        return writeGuestCopies(dir, passedSystemProperties, testClasses());
    }

    /**
     * Writes the guest's copies into {@code dir} for a fork that runs only {@code classes} (a part of
     * {@link #testClasses}) and returns the booter arguments that name them.
     */
    List<String> writeGuestCopies(Path dir, Map<String, String> passedSystemProperties, List<String> classes)
            throws IOException {
        Files.createDirectories(dir);
        Map<String, String> guestBooter = new TreeMap<>(booter);
        guestBooter.remove(PLUGIN_PID);
        guestBooter.keySet().removeIf(k -> k.startsWith(TEST_CLASS));
        for (int i = 0; i < classes.size(); i++) {
            guestBooter.put(TEST_CLASS + i, classes.get(i));
        }
        store(guestBooter, dir.resolve(booterName), "booter properties for the fork in the sandbox");
        List<String> args = new ArrayList<>(List.of(dir.toString(), dumpName, booterName));
        if (systemPropertiesName != null) {
            store(passedSystemProperties, dir.resolve(systemPropertiesName), "system properties passed to the sandbox");
            args.add(systemPropertiesName);
        }
        return args;
    }

    private static void store(Map<String, String> values, Path file, String comment) throws IOException {
        Properties p = new Properties();
        p.putAll(values);
        try (OutputStream out = Files.newOutputStream(file)) {
            p.store(out, comment);
        }
    }
}
