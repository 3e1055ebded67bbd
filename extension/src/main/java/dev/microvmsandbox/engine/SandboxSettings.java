package dev.microvmsandbox.engine;

import dev.microvmsandbox.MicroVmSandbox;
import dev.microvmsandbox.backend.Accelerator;
import dev.microvmsandbox.backend.ByteSize;
import dev.microvmsandbox.backend.SandboxConfig;
import dev.microvmsandbox.backend.TimeLimit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * How one class is sandboxed: its VM's configuration, its own time limit, its isolation and the
 * container images it needs in the guest.
 * Configuration parameters under {@code microvm.sandbox.} give the defaults; the annotation's
 * non-empty values override them, except {@code images}: the parameter's list
 * ({@code microvm.sandbox.images}) and the annotation's add up.
 */
record SandboxSettings(
        SandboxConfig config, Duration classTimeout, MicroVmSandbox.Isolation isolation, List<String> images) {

    static final String PREFIX = "microvm.sandbox.";
    static final String MODE = PREFIX + "mode";
    static final Duration DEFAULT_CLASS_TIMEOUT = Duration.ofMinutes(30);

    /** Whether every Jupiter test class runs in a sandbox ({@code strict}) or only annotated ones ({@code mixed}). */
    static boolean strictMode(Function<String, Optional<String>> parameters) {
        String mode = parameters
                .apply(MODE)
                .map(String::trim)
                .map(s -> s.toLowerCase(Locale.ROOT))
                .orElse("mixed");
        switch (mode) {
            case "strict":
                return true;
            case "mixed":
                return false;
            default:
                throw new IllegalArgumentException("configuration parameter " + MODE + "=" + mode
                        + " is not a mode; write it like " + MODE + "=strict or " + MODE + "=mixed");
        }
    }

    /**
     * @param base       the configuration every sandbox starts from (classpath, Java home)
     * @param parameters the run's configuration parameters
     * @throws IllegalArgumentException naming the attribute or parameter that is wrong and an example of a right value
     */
    static SandboxSettings resolve(
            SandboxConfig base, Function<String, Optional<String>> parameters, SandboxAnnotation annotation) {
        SandboxConfig config = base;
        Duration timeout = DEFAULT_CLASS_TIMEOUT;
        MicroVmSandbox.Isolation isolation = MicroVmSandbox.Isolation.PER_RUN;

        Optional<String> memory = parameters.apply(PREFIX + "memory");
        if (memory.isPresent()) {
            config = parameter(
                    "memory",
                    memory.get(),
                    "2g",
                    config,
                    c -> c.withMemory(ByteSize.parse(memory.get().trim())));
        }
        Optional<String> cpus = parameters.apply(PREFIX + "cpus");
        if (cpus.isPresent()) {
            config = parameter(
                    "cpus",
                    cpus.get(),
                    "2",
                    config,
                    c -> c.withCpus(Integer.parseInt(cpus.get().trim())));
        }
        Optional<String> time = parameters.apply(PREFIX + "timeout");
        if (time.isPresent()) {
            timeout = parameter("timeout", time.get(), "10m", null, ignored -> TimeLimit.parse(time.get()));
        }
        Optional<String> scope = parameters.apply(PREFIX + "isolation");
        if (scope.isPresent()) {
            isolation = parameter("isolation", scope.get(), "per_class", null, ignored -> isolation(scope.get()));
        }
        Optional<String> accelerator = parameters.apply(PREFIX + "accelerator");
        if (accelerator.isPresent()) {
            config = parameter(
                    "accelerator",
                    accelerator.get(),
                    "kvm",
                    config,
                    c -> c.withAccelerator(
                            Accelerator.valueOf(accelerator.get().trim().toUpperCase(Locale.ROOT))));
        }
        Optional<String> requireKvm = parameters.apply(PREFIX + "requireKvm");
        if (requireKvm.isPresent()) {
            config = parameter(
                    "requireKvm",
                    requireKvm.get(),
                    "true",
                    config,
                    c -> c.withRequireHardwareIsolation(bool(requireKvm.get())));
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
        if (!a.timeout().isBlank()) {
            timeout = attribute(
                    "timeout", quoted(a.timeout()), "timeout = \"10m\"", null, ignored -> TimeLimit.parse(a.timeout()));
        }
        List<String> images = new ArrayList<>();
        parameters.apply(PREFIX + "images").ifPresent(list -> images.addAll(imageList(list)));
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

    private static boolean bool(String text) {
        String value = text.trim().toLowerCase(Locale.ROOT);
        if (value.equals("true") || value.equals("false")) {
            return Boolean.parseBoolean(value);
        }
        throw new IllegalArgumentException("'" + text + "' is not true or false");
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
