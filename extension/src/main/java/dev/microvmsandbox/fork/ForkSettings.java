package dev.microvmsandbox.fork;

import dev.microvmsandbox.settings.ProjectSettings;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import org.apiguardian.api.API;

/**
 * What the build tells the fork launcher, written by the Maven plugin's {@code prepare} goal into a
 * properties file next to the launcher script: the project folder, the Java home the fork was meant to
 * run on, the project-wide sandbox settings ({@code microvm.sandbox.*}), and which system properties
 * and environment variables the pom's Surefire and Failsafe configuration names, so the launcher can
 * tell trusted build configuration from what the host merely has. Only trusted build configuration
 * goes in here; the launcher reads nothing from test resources.
 */
@API(status = API.Status.INTERNAL)
public final class ForkSettings {

    static final String PROJECT_DIR = "project.dir";
    static final String JAVA_HOME = "java.home";
    static final String POM_SYSTEM_PROPERTIES = "pom.systemProperties";
    static final String POM_SYSTEM_PROPERTIES_FILES = "pom.systemPropertiesFiles";
    static final String POM_ENV_PREFIX = "pom.env.";
    static final String FORK_COUNT = "fork.count";
    static final String REUSE_FORKS = "fork.reuse";

    /** More sandboxes at once than this is a typo, not a plan. */
    static final int MAX_FORK_COUNT = 64;

    private final Path projectDir;
    private final Path javaHome;
    private final Map<String, String> sandboxSettings;
    private final Set<String> pomSystemProperties;
    private final List<Path> pomSystemPropertiesFiles;
    private final Map<String, List<String>> pomEnvironment;
    private final int forkCount;
    private final boolean reuseForks;

    private ForkSettings(
            Path projectDir,
            Path javaHome,
            Map<String, String> sandboxSettings,
            Set<String> pomSystemProperties,
            List<Path> pomSystemPropertiesFiles,
            Map<String, List<String>> pomEnvironment,
            int forkCount,
            boolean reuseForks) {
        this.projectDir = projectDir;
        this.forkCount = forkCount;
        this.reuseForks = reuseForks;
        this.javaHome = javaHome;
        this.sandboxSettings = Map.copyOf(sandboxSettings);
        this.pomSystemProperties = Set.copyOf(pomSystemProperties);
        this.pomSystemPropertiesFiles = List.copyOf(pomSystemPropertiesFiles);
        Map<String, List<String>> env = new TreeMap<>();
        pomEnvironment.forEach((k, v) -> env.put(k, List.copyOf(v)));
        this.pomEnvironment = java.util.Collections.unmodifiableMap(env);
    }

    public static Builder builder(Path projectDir, Path javaHome) {
        return new Builder(projectDir, javaHome);
    }

    /**
     * @throws IllegalArgumentException when the file is not one the plugin wrote (a key missing)
     */
    public static ForkSettings read(Path file) throws IOException {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        }
        String project = p.getProperty(PROJECT_DIR);
        String java = p.getProperty(JAVA_HOME);
        if (project == null || java == null) {
            throw new IllegalArgumentException(file + " lacks " + PROJECT_DIR + " or " + JAVA_HOME
                    + "; it is written by the microvm-sandbox-maven-plugin's prepare goal: run the build again");
        }
        Map<String, String> sandbox = new LinkedHashMap<>();
        for (String key : ProjectSettings.KEYS) {
            String v = p.getProperty(key);
            if (v != null) {
                sandbox.put(key, v);
            }
        }
        Set<String> pomProperties =
                new LinkedHashSet<>(ProjectSettings.splitList(p.getProperty(POM_SYSTEM_PROPERTIES, "")));
        List<Path> propertyFiles = ProjectSettings.splitList(p.getProperty(POM_SYSTEM_PROPERTIES_FILES, "")).stream()
                .map(Path::of)
                .toList();
        // pom.env.NAME.N=value, one key per value the pom gives NAME
        Map<String, Map<Integer, String>> values = new TreeMap<>();
        for (String key : p.stringPropertyNames()) {
            if (key.startsWith(POM_ENV_PREFIX) && key.lastIndexOf('.') > POM_ENV_PREFIX.length()) {
                String rest = key.substring(POM_ENV_PREFIX.length());
                int dot = rest.lastIndexOf('.');
                try {
                    values.computeIfAbsent(rest.substring(0, dot), n -> new TreeMap<>())
                            .put(Integer.parseInt(rest.substring(dot + 1)), p.getProperty(key));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(file + ": " + key + " is not pom.env.NAME.N");
                }
            }
        }
        Map<String, List<String>> env = new TreeMap<>();
        values.forEach((name, byIndex) -> env.put(name, List.copyOf(byIndex.values())));
        int forkCount = forkCount(p.getProperty(FORK_COUNT, "1"), 1);
        boolean reuse = reuseForks(p.getProperty(REUSE_FORKS, "true"));
        return new ForkSettings(
                Path.of(project), Path.of(java), sandbox, pomProperties, propertyFiles, env, forkCount, reuse);
    }

    /** Writes the file, replacing it whole (a fork starting meanwhile reads the old or the new one). */
    public void write(Path file) throws IOException {
        Properties p = new Properties();
        p.setProperty(PROJECT_DIR, projectDir.toString());
        p.setProperty(JAVA_HOME, javaHome.toString());
        p.setProperty(FORK_COUNT, Integer.toString(forkCount));
        p.setProperty(REUSE_FORKS, Boolean.toString(reuseForks));
        sandboxSettings.forEach(p::setProperty);
        p.setProperty(POM_SYSTEM_PROPERTIES, ProjectSettings.joinList(new ArrayList<>(pomSystemProperties)));
        p.setProperty(
                POM_SYSTEM_PROPERTIES_FILES,
                ProjectSettings.joinList(
                        pomSystemPropertiesFiles.stream().map(Path::toString).toList()));
        pomEnvironment.forEach((name, values) -> {
            for (int i = 0; i < values.size(); i++) {
                p.setProperty(POM_ENV_PREFIX + name + "." + i, values.get(i));
            }
        });
        Files.createDirectories(file.getParent());
        Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            p.store(out, "written by microvm-sandbox-maven-plugin:prepare; read by the fork launcher");
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    public Path projectDir() {
        return projectDir;
    }

    /** The Java home of the JVM that runs Maven: the one Surefire would have forked. */
    public Path javaHome() {
        return javaHome;
    }

    /** The project-wide sandbox settings, checked. */
    public ProjectSettings sandbox(Function<String, String> hostEnvironment) {
        return ProjectSettings.read(k -> Optional.ofNullable(sandboxSettings.get(k)), hostEnvironment, "setting");
    }

    /**
     * How many sandboxes a fork is split over at once (the plugin's {@code forkCount}); 1 runs the
     * fork whole in one sandbox.
     */
    public int forkCount() {
        return forkCount;
    }

    /**
     * Whether a sandbox runs several test classes ({@code reuseForks}); false gives each test class a
     * sandbox of its own.
     */
    public boolean reuseForks() {
        return reuseForks;
    }

    /**
     * {@code N} sandboxes, or {@code NC} (like {@code 1C}, {@code 0.5C}): N per CPU core of this host,
     * at least one.
     *
     * @throws IllegalArgumentException for anything else, 0 (which would mean no fork, the tests in
     *     Maven's JVM) or more than {@value #MAX_FORK_COUNT}
     */
    public static int forkCount(String value, int cores) {
        String v = value.trim();
        int n;
        try {
            if (v.endsWith("C")) {
                double perCore = Double.parseDouble(v.substring(0, v.length() - 1));
                n = perCore <= 0 ? 0 : (int) Math.max(1, perCore * cores);
            } else {
                n = Integer.parseInt(v);
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "forkCount '" + value + "' is neither a number of sandboxes (2) nor " + "one per core (1C)");
        }
        if (n < 1) {
            throw new IllegalArgumentException("forkCount " + value + " would mean no fork, the tests in Maven's own "
                    + "JVM: give 1 or more sandboxes");
        }
        if (n > MAX_FORK_COUNT) {
            throw new IllegalArgumentException(
                    "forkCount " + value + " asks for " + n + " sandboxes at once; at most " + MAX_FORK_COUNT);
        }
        return n;
    }

    /**
     * @throws IllegalArgumentException for anything but {@code true} or {@code false}
     */
    public static boolean reuseForks(String value) {
        String v = value.trim();
        if (!v.equals("true") && !v.equals("false")) {
            throw new IllegalArgumentException("reuseForks '" + value + "' is neither true nor false");
        }
        return Boolean.parseBoolean(v);
    }

    /** The raw {@code microvm.sandbox.*} values, as the plugin was configured. */
    public Map<String, String> sandboxValues() {
        return sandboxSettings;
    }

    /** System property names the pom's Surefire or Failsafe configuration sets. */
    public Set<String> pomSystemProperties() {
        return pomSystemProperties;
    }

    /** {@code systemPropertiesFile}s the pom names; their keys count as configured too. */
    public List<Path> pomSystemPropertiesFiles() {
        return pomSystemPropertiesFiles;
    }

    /** For each environment variable the pom sets, the values it is set to (a value may hold a placeholder). */
    public Map<String, List<String>> pomEnvironment() {
        return pomEnvironment;
    }

    /** Collects what the plugin writes. */
    public static final class Builder {
        private final Path projectDir;
        private final Path javaHome;
        private final Map<String, String> sandbox = new LinkedHashMap<>();
        private final Set<String> systemProperties = new LinkedHashSet<>();
        private final List<Path> systemPropertiesFiles = new ArrayList<>();
        private final Map<String, List<String>> env = new LinkedHashMap<>();
        private int forkCount = 1;
        private boolean reuseForks = true;

        private Builder(Path projectDir, Path javaHome) {
            this.projectDir = projectDir;
            this.javaHome = javaHome;
        }

        /**
         * @throws IllegalArgumentException for a key that is not a project-wide setting
         */
        public Builder sandbox(String key, String value) {
            if (!ProjectSettings.KEYS.contains(key)) {
                throw new IllegalArgumentException(key + " is not one of " + ProjectSettings.KEYS);
            }
            if (value != null && !value.isBlank()) {
                sandbox.put(key, value.trim());
            }
            return this;
        }

        public Builder pomSystemProperty(String name) {
            systemProperties.add(name);
            return this;
        }

        public Builder pomSystemPropertiesFile(Path file) {
            systemPropertiesFiles.add(file);
            return this;
        }

        public Builder pomEnvironmentVariable(String name, String value) {
            env.computeIfAbsent(name, n -> new ArrayList<>()).add(value == null ? "" : value);
            return this;
        }

        /**
         * @throws IllegalArgumentException when a sandbox setting is wrong, naming it
         */
        /** See {@link ForkSettings#forkCount} and {@link ForkSettings#reuseForks}. */
        public Builder forks(int count, boolean reuse) {
            if (count < 1 || count > MAX_FORK_COUNT) {
                throw new IllegalArgumentException("forkCount " + count + ": give 1 to " + MAX_FORK_COUNT);
            }
            this.forkCount = count;
            this.reuseForks = reuse;
            return this;
        }

        public ForkSettings build() {
            ForkSettings s = new ForkSettings(
                    projectDir, javaHome, sandbox, systemProperties, systemPropertiesFiles, env, forkCount, reuseForks);
            s.sandbox(name -> null);
            return s;
        }
    }
}
