package dev.microvmsandbox.backend.kata.docker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apiguardian.api.API;

/**
 * Two conditions of a Linux host that stop a container engine running on it (podman with crun, as
 * found on CI machines that are themselves containers or VMs) from starting the sandbox container,
 * with what to do about each:
 * <ul>
 *   <li><b>hybrid cgroups</b>: cgroup v1 controllers with a cgroup2 mount at
 *       {@code /sys/fs/cgroup/unified}; crun refuses it ("cgroups in hybrid mode not supported");</li>
 *   <li><b>capped rlimits</b>: hard limits on open files or processes below what podman asks for
 *       a container by default (1048576), and no {@code CAP_SYS_RESOURCE} to raise them; crun then
 *       fails with "setrlimit RLIMIT_NOFILE: Operation not permitted".</li>
 * </ul>
 * Read from {@code /proc/self/mountinfo}, {@code /proc/self/limits} and {@code /proc/self/status}
 * (the engine's own process usually inherits the same); they describe this host only, so they
 * matter when the engine runs here.
 */
@API(status = API.Status.INTERNAL)
public final class HostEngineConditions {

    /** What podman 4 sets RLIMIT_NOFILE and RLIMIT_NPROC to in a rootful container unless told otherwise. */
    static final long PODMAN_DEFAULT_RLIMIT = 1_048_576L;

    private static final int CAP_SYS_RESOURCE = 24;

    private final String mountinfo;
    private final String limits;
    private final String status;

    HostEngineConditions(String mountinfo, String limits, String status) {
        this.mountinfo = mountinfo;
        this.limits = limits;
        this.status = status;
    }

    /** This host's conditions, as this process sees them. */
    public static HostEngineConditions ofThisHost() {
        return new HostEngineConditions(
                read("/proc/self/mountinfo"), read("/proc/self/limits"), read("/proc/self/status"));
    }

    /**
     * One report line per condition, in the doctor's format: {@code ok ...} or {@code WARN ...}
     * with the fix.
     */
    public List<String> report() {
        List<String> lines = new ArrayList<>();
        lines.add(cgroups());
        lines.add(rlimits());
        return lines;
    }

    /** Whether either condition holds here. */
    public boolean anyFound() {
        return report().stream().anyMatch(l -> l.startsWith("WARN"));
    }

    String cgroups() {
        String root = fsTypeAt("/sys/fs/cgroup").orElse("none");
        if (root.equals("cgroup2")) {
            return "ok    host cgroups: cgroup v2 (unified)";
        }
        if (fsTypeAt("/sys/fs/cgroup/unified").orElse("").equals("cgroup2")) {
            return "WARN  host cgroups are hybrid: cgroup v1 with a cgroup2 mount at /sys/fs/cgroup/unified. crun refuses "
                    + "that (\"cgroups in hybrid mode not supported\"), so a podman here cannot start the sandbox "
                    + "container. Fix: boot the host with systemd.unified_cgroup_hierarchy=1, or run the engine in a "
                    + "mount namespace without that mount: unshare -m --propagation private sh -c 'umount "
                    + "/sys/fs/cgroup/unified && exec podman system service --time=0 unix:///run/podman/podman.sock'";
        }
        if (root.equals("none")) {
            return "WARN  host cgroups: no cgroup file system at /sys/fs/cgroup; container engines need one";
        }
        return "ok    host cgroups: cgroup v1 (nested containers in the sandbox run without cgroup limits of their own)";
    }

    String rlimits() {
        Optional<Long> nofile = hardLimit("Max open files");
        Optional<Long> nproc = hardLimit("Max processes");
        boolean capped = nofile.map(n -> n < PODMAN_DEFAULT_RLIMIT).orElse(false)
                || nproc.map(n -> n < PODMAN_DEFAULT_RLIMIT).orElse(false);
        String found = "hard limits nofile " + nofile.map(String::valueOf).orElse("?") + ", nproc "
                + nproc.map(String::valueOf).orElse("?");
        if (!capped) {
            return "ok    host rlimits: " + found;
        }
        if (hasCapability(CAP_SYS_RESOURCE)) {
            return "ok    host rlimits: " + found + " (below podman's default " + PODMAN_DEFAULT_RLIMIT
                    + ", but CAP_SYS_RESOURCE lets the engine raise them)";
        }
        String nofileValue = nofile.map(String::valueOf).orElse("1024");
        String nprocValue = nproc.map(String::valueOf).orElse("4096");
        return "WARN  host rlimits are capped: " + found + ", below podman's default " + PODMAN_DEFAULT_RLIMIT
                + ", and no CAP_SYS_RESOURCE to raise them; crun then fails with \"setrlimit RLIMIT_NOFILE: "
                + "Operation not permitted\". Fix: give podman a containers.conf with [containers] default_ulimits = "
                + "[\"nofile=" + nofileValue + ":" + nofileValue + "\", \"nproc=" + nprocValue + ":" + nprocValue
                + "\"] (start it with CONTAINERS_CONF=that file), or give dockerd --default-ulimit nofile="
                + nofileValue + ":" + nofileValue;
    }

    /** The file system type mounted exactly at {@code mountPoint} (the last such mount wins). */
    Optional<String> fsTypeAt(String mountPoint) {
        String type = null;
        for (String line : mountinfo.split("\n")) {
            // id parent major:minor root mount-point options [optional...] - fstype source super-options
            String[] fields = line.trim().split(" ");
            int dash = java.util.Arrays.asList(fields).indexOf("-");
            if (fields.length < 5 || dash < 0 || dash + 1 >= fields.length) {
                continue;
            }
            if (fields[4].equals(mountPoint)) {
                type = fields[dash + 1];
            }
        }
        return Optional.ofNullable(type);
    }

    Optional<Long> hardLimit(String name) {
        for (String line : limits.split("\n")) {
            if (line.startsWith(name)) {
                String[] parts = line.substring(name.length()).trim().split("\\s+");
                if (parts.length >= 2) {
                    return parts[1].equals("unlimited") ? Optional.of(Long.MAX_VALUE) : parse(parts[1]);
                }
            }
        }
        return Optional.empty();
    }

    boolean hasCapability(int bit) {
        for (String line : status.split("\n")) {
            if (line.startsWith("CapEff:")) {
                try {
                    long caps = Long.parseUnsignedLong(line.substring(7).trim(), 16);
                    return (caps >>> bit & 1) == 1;
                } catch (NumberFormatException e) {
                    return false;
                }
            }
        }
        return false;
    }

    private static Optional<Long> parse(String s) {
        try {
            return Optional.of(Long.parseLong(s));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static String read(String file) {
        try {
            return Files.readString(Path.of(file));
        } catch (IOException e) {
            return "";
        }
    }
}
