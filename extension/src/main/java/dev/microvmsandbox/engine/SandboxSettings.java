package dev.microvmsandbox.engine;

import dev.microvmsandbox.MicroVmSandbox;
import dev.microvmsandbox.backend.ByteSize;
import dev.microvmsandbox.backend.SandboxConfig;
import dev.microvmsandbox.backend.TimeLimit;
import dev.microvmsandbox.settings.ProjectSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * How one class is sandboxed: its VM's configuration, its own time limit, its isolation and the
 * container images it needs in the guest.
 * Configuration parameters under {@code microvm.sandbox.} give the defaults (the project-wide ones as
 * {@link ProjectSettings} reads them, plus {@code isolation}); the annotation's non-empty values override
 * them, and its images and environment add to the project's.
 */
record SandboxSettings(
        SandboxConfig config, Duration classTimeout, MicroVmSandbox.Isolation isolation, List<String> images) {

    static final String PREFIX = "microvm.sandbox.";
    /** {@code strict} means the fork path; on the host the guard refuses it. */
    static final String MODE = PREFIX + "mode";

    static final Duration DEFAULT_CLASS_TIMEOUT = Duration.ofMinutes(30);

    /**
     * @param base       the configuration every sandbox starts from (classpath, Java home)
     * @param parameters the run's configuration parameters
     * @throws IllegalArgumentException naming the attribute or parameter that is wrong and an example of a right value
     */
    static SandboxSettings resolve(
            SandboxConfig base, Function<String, Optional<String>> parameters, SandboxAnnotation annotation) {
        ProjectSettings project = ProjectSettings.read(parameters, System::getenv, "configuration parameter");
        SandboxConfig config =
                project.applyTo(base).withSystemProperties(project.passedSystemProperties(hostProperties()));
        Duration timeout = project.timeout().orElse(DEFAULT_CLASS_TIMEOUT);
        MicroVmSandbox.Isolation isolation = MicroVmSandbox.Isolation.PER_RUN;

        Optional<String> scope = parameters.apply(PREFIX + "isolation");
        if (scope.isPresent()) {
            isolation = parameter("isolation", scope.get(), "per_class", null, ignored -> isolation(scope.get()));
        }
        SandboxAnnotation a = annotation == null ? SandboxAnnotation.DEFAULTS : annotation;
        if (!a.memory().isBlank()) {
            config = attribute(
                    "memory",
                    quoted(a.memory()),
                    "memory = \"2g\"",
                    config,
                    c -> c.withMemory(ByteSize.parse(a.memory())));
        }
        if (a.cpus() != 0) {
            config = attribute("cpus", Integer.toString(a.cpus()), "cpus = 2", config, c -> c.withCpus(a.cpus()));
        }
        if (!a.disk().isBlank()) {
            config = attribute(
                    "disk", quoted(a.disk()), "disk = \"512m\"", config, c -> c.withDisk(ByteSize.parse(a.disk())));
        }
        if (!a.timeout().isBlank()) {
            timeout = attribute(
                    "timeout", quoted(a.timeout()), "timeout = \"10m\"", null, ignored -> TimeLimit.parse(a.timeout()));
        }
        List<String> images = new ArrayList<>(project.images());
        a.images().stream().filter(i -> !images.contains(i)).forEach(images::add);
        if (!a.env().isEmpty()) {
            config = attribute("env", a.env().toString(), "env = \"NAME=value\"", config, c -> c.withEnv(a.env()));
        }
        if (!"DEFAULT".equals(a.isolation())) {
            isolation = attribute(
                    "isolation",
                    a.isolation(),
                    "isolation = Isolation.PER_CLASS",
                    null,
                    ignored -> MicroVmSandbox.Isolation.valueOf(a.isolation()));
        }
        return new SandboxSettings(config, timeout, isolation, List.copyOf(images));
    }

    /**
     * {@code microvm.sandbox.images}: entries separated by commas or white space, for every class
     * of the run (before the class's own {@code images}).
     */
    static List<String> imageList(String text) {
        List<String> images = new ArrayList<>();
        for (String entry : text.split("[,\\s]+")) {
            if (!entry.isEmpty() && !images.contains(entry)) {
                images.add(entry);
            }
        }
        return images;
    }

    private static MicroVmSandbox.Isolation isolation(String text) {
        String value = text.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        if (value.equals("PER_RUN") || value.equals("PER_CLASS")) {
            return MicroVmSandbox.Isolation.valueOf(value);
        }
        throw new IllegalArgumentException("'" + text + "' is not an isolation");
    }

    /** The test JVM's system properties, which {@code microvm.sandbox.systemProperties} may pass on. */
    private static Map<String, String> hostProperties() {
        Map<String, String> properties = new TreeMap<>();
        Properties system = System.getProperties();
        for (String key : system.stringPropertyNames()) {
            properties.put(key, system.getProperty(key));
        }
        return properties;
    }

    private static String quoted(String s) {
        return "\"" + s + "\"";
    }

    private static <T> T parameter(
            String name, String value, String example, SandboxConfig config, Function<SandboxConfig, T> apply) {
        try {
            return apply.apply(config);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(
                    "configuration parameter " + PREFIX + name + "=" + value + " is wrong (" + e.getMessage()
                            + "); write it like " + PREFIX + name + "=" + example,
                    e);
        }
    }

    private static <T> T attribute(
            String name, String value, String example, SandboxConfig config, Function<SandboxConfig, T> apply) {
        try {
            return apply.apply(config);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(
                    "@MicroVmSandbox(" + name + " = " + value + ") is wrong (" + e.getMessage()
                            + "); write it like @MicroVmSandbox(" + example + ")",
                    e);
        }
    }
}
