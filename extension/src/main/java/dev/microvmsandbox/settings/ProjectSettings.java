package dev.microvmsandbox.settings;

import dev.microvmsandbox.backend.Accelerator;
import dev.microvmsandbox.backend.ByteSize;
import dev.microvmsandbox.backend.SandboxConfig;
import dev.microvmsandbox.backend.TimeLimit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.apiguardian.api.API;

/**
 * The sandbox settings a whole project gives, each under {@value #PREFIX}: {@code memory},
 * {@code cpus}, {@code timeout}, {@code disk}, {@code bootTimeout}, {@code accelerator}, {@code requireKvm},
 * {@code backend}, {@code images}, {@code env} and {@code systemProperties}. Absent keys stay unset,
 * so each path keeps its own defaults.
 *
 * <p>Lists ({@code images}, {@code env}, {@code systemProperties}) are comma-separated ({@code images}
 * also one per line); a comma inside an entry is written {@code \,}. {@code env} entries are {@code NAME=value}, as in the annotation, or
 * a bare {@code NAME}, which passes the host's value of that variable (and nothing when the host has
 * none): nothing else of the host's environment reaches a guest. {@code systemProperties} names the
 * host system properties a guest JVM gets, {@code *} matching any run of characters
 * ({@code spring.profiles.active,app.*}).
 */
@API(status = API.Status.INTERNAL)
public final class ProjectSettings {

    public static final String PREFIX = "microvm.sandbox.";
    public static final String MEMORY = PREFIX + "memory";
    public static final String CPUS = PREFIX + "cpus";
    public static final String TIMEOUT = PREFIX + "timeout";
    public static final String DISK = PREFIX + "disk";
    public static final String BOOT_TIMEOUT = PREFIX + "bootTimeout";
    public static final String ACCELERATOR = PREFIX + "accelerator";
    public static final String REQUIRE_KVM = PREFIX + "requireKvm";
    public static final String BACKEND = PREFIX + "backend";
    public static final String IMAGES = PREFIX + "images";
    public static final String ENV = PREFIX + "env";
    public static final String SYSTEM_PROPERTIES = PREFIX + "systemProperties";

    /** Every key this class reads, in the order the README lists them. */
    public static final List<String> KEYS = List.of(
            MEMORY,
            CPUS,
            TIMEOUT,
            DISK,
            BOOT_TIMEOUT,
            ACCELERATOR,
            REQUIRE_KVM,
            BACKEND,
            IMAGES,
            ENV,
            SYSTEM_PROPERTIES);

    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
    private static final Pattern PROPERTY_PATTERN = Pattern.compile("[A-Za-z0-9_.*-]{1,200}");

    private final ByteSize memory;
    private final Integer cpus;
    private final Duration timeout;
    private final ByteSize disk;
    private final Duration bootTimeout;
    private final Accelerator accelerator;
    private final Boolean requireKvm;
    private final String backend;
    private final List<String> images;
    private final Map<String, String> env;
    private final List<Pattern> systemProperties;
    private final List<String> systemPropertyPatterns;

    private ProjectSettings(Reader r) {
        memory = r.memory;
        cpus = r.cpus;
        timeout = r.timeout;
        disk = r.disk;
        bootTimeout = r.bootTimeout;
        accelerator = r.accelerator;
        requireKvm = r.requireKvm;
        backend = r.backend;
        images = List.copyOf(r.images);
        env = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(r.env));
        systemPropertyPatterns = List.copyOf(r.systemPropertyPatterns);
        systemProperties =
                systemPropertyPatterns.stream().map(ProjectSettings::glob).toList();
    }

    /** No setting given. */
    public static ProjectSettings none() {
        return read(key -> Optional.empty(), name -> null, "setting");
    }

    /**
     * Reads and checks every key.
     *
     * @param values          the value of a key, if given
     * @param hostEnvironment the host's value of an environment variable (for bare {@code env} names), or null
     * @param origin          what the values are called in error messages: "configuration parameter", "setting"
     * @throws IllegalArgumentException naming the key, its value and an example of a right one
     */
    public static ProjectSettings read(
            Function<String, Optional<String>> values, Function<String, String> hostEnvironment, String origin) {
        Reader r = new Reader(values, hostEnvironment, origin);
        r.read();
        return new ProjectSettings(r);
    }

    public Optional<ByteSize> memory() {
        return Optional.ofNullable(memory);
    }

    public Optional<Integer> cpus() {
        return Optional.ofNullable(cpus);
    }

    /** The wall-clock limit; what it bounds (a class, a forked JVM) is the path's to say. */
    public Optional<Duration> timeout() {
        return Optional.ofNullable(timeout);
    }

    public Optional<ByteSize> disk() {
        return Optional.ofNullable(disk);
    }

    /** How long a guest may take to boot; a blank value counts as unset, as a build passes it on empty. */
    public Optional<Duration> bootTimeout() {
        return Optional.ofNullable(bootTimeout);
    }

    public Optional<Accelerator> accelerator() {
        return Optional.ofNullable(accelerator);
    }

    public Optional<Boolean> requireKvm() {
        return Optional.ofNullable(requireKvm);
    }

    /** The backend name as given ({@code auto}, {@code qemu}, ...); the backend selection checks it. */
    public Optional<String> backend() {
        return Optional.ofNullable(backend);
    }

    /** Image entries in the annotation's syntax ({@code docker-archive:PATH}, {@code oci-archive:PATH}, a name). */
    public List<String> images() {
        return images;
    }

    /** Variables every guest process gets: the given values and the host values of the bare names the host has. */
    public Map<String, String> env() {
        return env;
    }

    /** The {@code systemProperties} patterns as written. */
    public List<String> systemPropertyPatterns() {
        return systemPropertyPatterns;
    }

    /** Whether a host system property of this name may reach a guest JVM. */
    public boolean passesSystemProperty(String key) {
        return systemProperties.stream().anyMatch(p -> p.matcher(key).matches());
    }

    /** The entries of {@code candidates} whose keys {@code systemProperties} lets through, in their order. */
    public Map<String, String> passedSystemProperties(Map<String, String> candidates) {
        Map<String, String> passed = new LinkedHashMap<>();
        candidates.forEach((k, v) -> {
            if (passesSystemProperty(k)) {
                passed.put(k, v);
            }
        });
        return passed;
    }

    /** {@code base} with the memory, CPUs, disk, boot timeout, accelerator, KVM requirement and environment given here. */
    public SandboxConfig applyTo(SandboxConfig base) {
        SandboxConfig c = base;
        if (memory != null) {
            c = c.withMemory(memory);
        }
        if (cpus != null) {
            c = c.withCpus(cpus);
        }
        if (disk != null) {
            c = c.withDisk(disk);
        }
        if (bootTimeout != null) {
            c = c.withBootTimeout(bootTimeout);
        }
        if (accelerator != null) {
            c = c.withAccelerator(accelerator);
        }
        if (requireKvm != null) {
            c = c.withRequireHardwareIsolation(requireKvm);
        }
        for (Map.Entry<String, String> e : env.entrySet()) {
            c = c.withEnv(e.getKey(), e.getValue());
        }
        return c;
    }

    /** Splits a comma-separated list; {@code \,} is a comma inside an entry; blank entries are dropped. */
    public static List<String> splitList(String text) {
        List<String> entries = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (ch == '\\' && i + 1 < text.length() && text.charAt(i + 1) == ',') {
                current.append(',');
                i++;
            } else if (ch == ',') {
                addTrimmed(entries, current);
            } else {
                current.append(ch);
            }
        }
        addTrimmed(entries, current);
        return entries;
    }

    /** The inverse of {@link #splitList}: entries joined by commas, their own commas escaped. */
    public static String joinList(List<String> entries) {
        return String.join(",", entries.stream().map(e -> e.replace(",", "\\,")).toList());
    }

    private static void addTrimmed(List<String> entries, StringBuilder current) {
        String entry = current.toString().trim();
        if (!entry.isEmpty()) {
            entries.add(entry);
        }
        current.setLength(0);
    }

    private static Pattern glob(String pattern) {
        String[] parts = pattern.split("\\*", -1);
        StringBuilder regex = new StringBuilder();
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) {
                regex.append(".*");
            }
            regex.append(Pattern.quote(parts[i]));
        }
        return Pattern.compile(regex.toString());
    }

    /** Reads one key after another, each failure naming its key. */
    private static final class Reader {
        private final Function<String, Optional<String>> values;
        private final Function<String, String> hostEnvironment;
        private final String origin;
        ByteSize memory;
        Integer cpus;
        Duration timeout;
        ByteSize disk;
        Duration bootTimeout;
        Accelerator accelerator;
        Boolean requireKvm;
        String backend;
        List<String> images = List.of();
        final Map<String, String> env = new LinkedHashMap<>();
        List<String> systemPropertyPatterns = List.of();

        Reader(Function<String, Optional<String>> values, Function<String, String> hostEnvironment, String origin) {
            this.values = values;
            this.hostEnvironment = hostEnvironment;
            this.origin = origin;
        }

        void read() {
            memory = value(MEMORY, "2g", v -> {
                ByteSize size = ByteSize.parse(v);
                SandboxConfig.defaults().withMemory(size);
                return size;
            });
            cpus = value(CPUS, "2", v -> {
                int n;
                try {
                    n = Integer.parseInt(v);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("'" + v + "' is not a whole number");
                }
                SandboxConfig.defaults().withCpus(n);
                return n;
            });
            timeout = value(TIMEOUT, "30m", TimeLimit::parse);
            disk = value(DISK, "8g", v -> {
                ByteSize size = ByteSize.parse(v);
                SandboxConfig.defaults().withDisk(size);
                return size;
            });
            bootTimeout = value(BOOT_TIMEOUT, "5m", TimeLimit::parse);
            accelerator = value(ACCELERATOR, "kvm", v -> {
                try {
                    return Accelerator.valueOf(v.toUpperCase(Locale.ROOT));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("'" + v + "' is not auto, kvm or tcg");
                }
            });
            requireKvm = value(REQUIRE_KVM, "true", v -> {
                String b = v.toLowerCase(Locale.ROOT);
                if (!b.equals("true") && !b.equals("false")) {
                    throw new IllegalArgumentException("'" + v + "' is not true or false");
                }
                return Boolean.parseBoolean(b);
            });
            backend = value(BACKEND, "qemu", v -> {
                if (!v.matches("[A-Za-z0-9_-]{1,40}")) {
                    throw new IllegalArgumentException("'" + v + "' is not a backend name");
                }
                return v.toLowerCase(Locale.ROOT);
            });
            // one per line is fine too, as a pom's list is often written; the same entry twice counts once
            images = value(
                    IMAGES,
                    "docker-archive:target/images/redis.tar,postgres:16-alpine",
                    v -> splitList(v.replace('\r', '\n').replace('\n', ',')).stream()
                            .distinct()
                            .toList());
            if (images == null) {
                images = List.of();
            }
            List<String> envEntries = value(ENV, "MODE=test,CI", v -> {
                List<String> entries = splitList(v);
                for (String entry : entries) {
                    String name = entry.contains("=") ? entry.substring(0, entry.indexOf('=')) : entry;
                    if (!ENV_NAME.matcher(name).matches()) {
                        throw new IllegalArgumentException("'" + entry + "' is neither NAME=value nor a variable name");
                    }
                    String value = entry.contains("=") ? entry.substring(entry.indexOf('=') + 1) : null;
                    if (value != null && (value.indexOf('\n') >= 0 || value.indexOf('\0') >= 0)) {
                        throw new IllegalArgumentException("the value of " + name + " must be one line");
                    }
                }
                return entries;
            });
            if (envEntries != null) {
                for (String entry : envEntries) {
                    int eq = entry.indexOf('=');
                    if (eq > 0) {
                        env.put(entry.substring(0, eq), entry.substring(eq + 1));
                    } else {
                        String hostValue = hostEnvironment.apply(entry);
                        if (hostValue != null && hostValue.indexOf('\n') < 0 && hostValue.indexOf('\0') < 0) {
                            env.put(entry, hostValue);
                        }
                    }
                }
            }
            systemPropertyPatterns = value(SYSTEM_PROPERTIES, "spring.profiles.active,app.*", v -> {
                List<String> patterns = splitList(v);
                for (String p : patterns) {
                    if (!PROPERTY_PATTERN.matcher(p).matches()) {
                        throw new IllegalArgumentException("'" + p + "' is not a property name or pattern");
                    }
                }
                return patterns;
            });
            if (systemPropertyPatterns == null) {
                systemPropertyPatterns = List.of();
            }
        }

        private <T> T value(String key, String example, Function<String, T> parse) {
            Optional<String> given = values.apply(key).map(String::trim).filter(v -> !v.isEmpty());
            if (given.isEmpty()) {
                return null;
            }
            try {
                return parse.apply(given.get());
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(
                        origin + " " + key + "=" + given.get() + " is wrong (" + e.getMessage() + "); write it like "
                                + key + "=" + example,
                        e);
            }
        }
    }
}
