package dev.microvmsandbox.backend;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import org.apiguardian.api.API;

/**
 * What a sandbox gets: its limits, what it may see of the host, and how it is accelerated.
 *
 * <p>Immutable; each {@code with...} method returns a changed copy. A method that names one value
 * ({@code withMemory}, {@code withTimeout}, ...) replaces it, and so do the two whose list is one
 * whole, {@link #withClasspath} and {@link #withImages}; the ones that take entries of a
 * collection, {@link #withEnv(String, String)} (and its list form), {@link #withMounts},
 * {@link #withHostPaths} and {@link #withSystemProperties}, add to what is there:
 * <pre>{@code
 * SandboxConfig config = SandboxConfig.defaults()
 *         .withMemory("1g")
 *         .withCpus(2)
 *         .withTimeout(Duration.ofMinutes(5))
 *         .withEnv("MODE", "test");
 * }</pre>
 * Nothing of the host reaches the guest unless named here: no environment variables, no files but
 * the {@linkplain #withClasspath classpath}, the {@linkplain #withHostPaths host paths} and
 * {@linkplain #withMounts mounts} (all read-only), and no network interface.
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class SandboxConfig {

    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");

    /** The largest limit on threads and processes a Linux kernel takes ({@code FUTEX_TID_MASK}). */
    public static final int MAX_PIDS = 0x3fffffff;

    private final ByteSize memory;
    private final int cpus;
    private final Duration timeout;
    private final Duration bootTimeout;
    private final ByteSize disk;
    private final int pids;
    private final ByteSize outputLimit;
    private final Map<String, String> env;
    private final List<Mount> mounts;
    private final List<Path> classpath;
    private final List<Path> hostPaths;
    private final List<Path> images;
    private final Map<String, String> systemProperties;
    private final Path hostJavaHome;
    private final Accelerator accelerator;
    private final boolean requireHardwareIsolation;

    private SandboxConfig(Builder b) {
        this.memory = b.memory;
        this.cpus = b.cpus;
        this.timeout = b.timeout;
        this.bootTimeout = b.bootTimeout;
        this.disk = b.disk;
        this.pids = b.pids;
        this.outputLimit = b.outputLimit;
        this.env = Map.copyOf(b.env);
        this.mounts = List.copyOf(b.mounts);
        this.classpath = List.copyOf(b.classpath);
        this.hostPaths = List.copyOf(b.hostPaths);
        this.images = List.copyOf(b.images);
        this.systemProperties = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(b.systemProperties));
        this.hostJavaHome = b.hostJavaHome;
        this.accelerator = b.accelerator;
        this.requireHardwareIsolation = b.requireHardwareIsolation;
    }

    /** 2 GiB of memory, 2 vCPUs, 30 minutes, an 8 GiB scratch disk, 4096 pids, 16 MiB of output per command. */
    public static SandboxConfig defaults() {
        return new Builder().build();
    }

    public ByteSize memory() {
        return memory;
    }

    public int cpus() {
        return cpus;
    }
    /** Wall-clock limit of the sandbox's whole life; past it the VM is destroyed. */
    public Duration timeout() {
        return timeout;
    }
    /** How long booting to a ready guest agent may take. */
    public Duration bootTimeout() {
        return bootTimeout;
    }
    /** Size of the writable scratch disk that holds everything the guest writes. */
    public ByteSize disk() {
        return disk;
    }
    /** Most processes and threads the guest may run at once. */
    public int pids() {
        return pids;
    }
    /** Most bytes kept of one command's or one test's output; the rest is dropped with a note. */
    public ByteSize outputLimit() {
        return outputLimit;
    }

    public Map<String, String> env() {
        return env;
    }

    public List<Mount> mounts() {
        return mounts;
    }
    /** Jars and class folders the guest agent's JVM runs with, shown read-only. */
    public List<Path> classpath() {
        return classpath;
    }
    /**
     * Host files and folders the guest sees read-only at their own absolute paths (a folder with
     * everything under it), so a command line written for the host finds them where it names them.
     */
    public List<Path> hostPaths() {
        return hostPaths;
    }

    /**
     * Container image archives ({@code docker save} or {@code podman save} files, docker-archive or
     * oci-archive) whose images the guest's podman holds when the sandbox is ready.
     */
    public List<Path> images() {
        return images;
    }

    /** System properties the guest agent's JVM starts with. */
    public Map<String, String> systemProperties() {
        return systemProperties;
    }

    /**
     * A host Java home shown read-only to the guest and used for the agent instead of the image's Java
     * 17; commands that name {@code java} run it too.
     */
    public Optional<Path> hostJavaHome() {
        return Optional.ofNullable(hostJavaHome);
    }

    public Accelerator accelerator() {
        return accelerator;
    }
    /** When true, a sandbox that would run without hardware virtualisation is refused. */
    public boolean requireHardwareIsolation() {
        return requireHardwareIsolation;
    }

    public SandboxConfig withMemory(ByteSize memory) {
        if (memory.mebibytes() < 256) {
            throw new IllegalArgumentException("memory must be at least 256m, was " + memory);
        }
        return change(b -> b.memory = memory);
    }

    public SandboxConfig withMemory(String memory) {
        return withMemory(ByteSize.parse(memory));
    }

    public SandboxConfig withCpus(int cpus) {
        if (cpus < 1 || cpus > 64) {
            throw new IllegalArgumentException("cpus must be between 1 and 64, was " + cpus);
        }
        return change(b -> b.cpus = cpus);
    }

    public SandboxConfig withTimeout(Duration timeout) {
        requirePositive(timeout, "timeout");
        return change(b -> b.timeout = timeout);
    }

    public SandboxConfig withBootTimeout(Duration bootTimeout) {
        requirePositive(bootTimeout, "boot timeout");
        return change(b -> b.bootTimeout = bootTimeout);
    }

    public SandboxConfig withDisk(ByteSize disk) {
        if (disk.mebibytes() < 64) {
            throw new IllegalArgumentException("disk must be at least 64m, was " + disk);
        }
        return change(b -> b.disk = disk);
    }

    public SandboxConfig withPids(int pids) {
        if (pids < 64) {
            throw new IllegalArgumentException("pids must be at least 64, was " + pids);
        }
        if (pids > MAX_PIDS) {
            throw new IllegalArgumentException(
                    "pids must be at most " + MAX_PIDS + " (the Linux kernel's limit), was " + pids);
        }
        return change(b -> b.pids = pids);
    }

    public SandboxConfig withOutputLimit(ByteSize outputLimit) {
        return change(b -> b.outputLimit = Objects.requireNonNull(outputLimit));
    }

    public SandboxConfig withEnv(String name, String value) {
        if (!ENV_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(
                    "'" + name + "' is not an environment variable name; write it like MY_VAR");
        }
        if (value.indexOf('\n') >= 0 || value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("the value of " + name + " must be one line without NUL characters");
        }
        return change(b -> b.env.put(name, value));
    }

    /** Adds {@code NAME=value} entries. */
    public SandboxConfig withEnv(List<String> entries) {
        SandboxConfig result = this;
        for (String entry : entries) {
            int eq = entry.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException(
                        "'" + entry + "' is not an environment entry; write it like NAME=value");
            }
            result = result.withEnv(entry.substring(0, eq), entry.substring(eq + 1));
        }
        return result;
    }

    public SandboxConfig withMounts(List<Mount> mounts) {
        return change(b -> b.mounts.addAll(mounts));
    }

    public SandboxConfig withClasspath(List<Path> classpath) {
        return change(b -> {
            b.classpath.clear();
            b.classpath.addAll(classpath);
        });
    }

    /**
     * Adds host files and folders the guest sees read-only at the same absolute paths.
     *
     * @throws IllegalArgumentException for a relative path, or one with {@code ..} in it
     */
    public SandboxConfig withHostPaths(List<Path> paths) {
        for (Path p : paths) {
            if (!p.isAbsolute() || !p.normalize().equals(p) || p.getNameCount() == 0) {
                throw new IllegalArgumentException(
                        "a host path shown in the guest must be absolute and normalised, not the root: " + p);
            }
        }
        return change(b -> b.hostPaths.addAll(paths));
    }

    /** Adds system properties of the guest agent's JVM; names and values are one line each. */
    public SandboxConfig withSystemProperties(Map<String, String> properties) {
        for (Map.Entry<String, String> e : properties.entrySet()) {
            if (e.getKey().isEmpty()
                    || (e.getKey() + e.getValue()).indexOf('\n') >= 0
                    || (e.getKey() + e.getValue()).indexOf('\r') >= 0
                    || (e.getKey() + e.getValue()).indexOf('\0') >= 0
                    || e.getKey().contains("=")) {
                throw new IllegalArgumentException(
                        "system property '" + e.getKey() + "' needs a name without '=' and one-line name and value");
            }
        }
        return change(b -> b.systemProperties.putAll(properties));
    }

    /** Replaces the image archives the sandbox starts with; see {@link #images()}. */
    public SandboxConfig withImages(List<Path> archives) {
        for (Path a : archives) {
            if (!a.isAbsolute()) {
                throw new IllegalArgumentException("image archive paths must be absolute, was " + a);
            }
        }
        return change(b -> {
            b.images.clear();
            b.images.addAll(archives);
        });
    }

    public SandboxConfig withHostJavaHome(Path javaHome) {
        return change(b -> b.hostJavaHome = javaHome);
    }

    public SandboxConfig withAccelerator(Accelerator accelerator) {
        return change(b -> b.accelerator = Objects.requireNonNull(accelerator));
    }

    public SandboxConfig withRequireHardwareIsolation(boolean require) {
        return change(b -> b.requireHardwareIsolation = require);
    }

    private static void requirePositive(Duration d, String what) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, was " + d);
        }
    }

    private SandboxConfig change(java.util.function.Consumer<Builder> edit) {
        Builder b = new Builder(this);
        edit.accept(b);
        return b.build();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SandboxConfig c
                && memory.equals(c.memory)
                && cpus == c.cpus
                && timeout.equals(c.timeout)
                && bootTimeout.equals(c.bootTimeout)
                && disk.equals(c.disk)
                && pids == c.pids
                && outputLimit.equals(c.outputLimit)
                && env.equals(c.env)
                && mounts.equals(c.mounts)
                && classpath.equals(c.classpath)
                && hostPaths.equals(c.hostPaths)
                && images.equals(c.images)
                && systemProperties.equals(c.systemProperties)
                && Objects.equals(hostJavaHome, c.hostJavaHome)
                && accelerator == c.accelerator
                && requireHardwareIsolation == c.requireHardwareIsolation;
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                memory,
                cpus,
                timeout,
                disk,
                pids,
                env,
                mounts,
                classpath,
                hostPaths,
                images,
                systemProperties,
                accelerator);
    }

    @Override
    public String toString() {
        return "SandboxConfig[memory=" + memory + ", cpus=" + cpus + ", timeout=" + timeout + ", disk=" + disk
                + ", pids=" + pids + ", env=" + env.keySet() + ", mounts=" + mounts + ", hostPaths=" + hostPaths.size()
                + ", images=" + images
                + ", systemProperties=" + systemProperties.keySet()
                + ", accelerator=" + accelerator + ", requireHardwareIsolation=" + requireHardwareIsolation + "]";
    }

    private static final class Builder {
        ByteSize memory = ByteSize.ofMebibytes(2048);
        int cpus = 2;
        Duration timeout = Duration.ofMinutes(30);
        Duration bootTimeout = Duration.ofMinutes(3);
        ByteSize disk = ByteSize.ofMebibytes(8192);
        int pids = 4096;
        ByteSize outputLimit = ByteSize.ofMebibytes(16);
        Map<String, String> env = new LinkedHashMap<>();
        List<Mount> mounts = new ArrayList<>();
        List<Path> classpath = new ArrayList<>();
        List<Path> hostPaths = new ArrayList<>();
        List<Path> images = new ArrayList<>();
        Map<String, String> systemProperties = new LinkedHashMap<>();
        Path hostJavaHome;
        Accelerator accelerator = Accelerator.AUTO;
        boolean requireHardwareIsolation;

        Builder() {}

        Builder(SandboxConfig c) {
            memory = c.memory;
            cpus = c.cpus;
            timeout = c.timeout;
            bootTimeout = c.bootTimeout;
            disk = c.disk;
            pids = c.pids;
            outputLimit = c.outputLimit;
            env.putAll(c.env);
            mounts.addAll(c.mounts);
            classpath.addAll(c.classpath);
            hostPaths.addAll(c.hostPaths);
            images.addAll(c.images);
            systemProperties.putAll(c.systemProperties);
            hostJavaHome = c.hostJavaHome;
            accelerator = c.accelerator;
            requireHardwareIsolation = c.requireHardwareIsolation;
        }

        SandboxConfig build() {
            return new SandboxConfig(this);
        }
    }
}
