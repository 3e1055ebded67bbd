package dev.microvmsandbox.backend.kata;

import dev.microvmsandbox.backend.ProcessStart;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apiguardian.api.API;

/**
 * The JVM run that owns a sandbox container or Pod, written into its labels so that a later run
 * can tell what an interrupted run left behind: a sandbox whose owner is a process on the same
 * host that no longer exists (its pid gone, or reused by a process that started at another
 * time) is a leftover.
 *
 * @param run        a random id of this JVM's run
 * @param host       the host name, as a label value
 * @param pid        the owner's process id
 * @param startTicks when the owner started, in clock ticks after boot (field 22 of
 *                   {@code /proc/PID/stat}); -1 where unknown
 */
@API(status = API.Status.INTERNAL)
public record RunOwner(String run, String host, long pid, long startTicks) {

    /** Marks every object this library creates. */
    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";

    public static final String MANAGED_BY_VALUE = "microvm-sandbox";
    public static final String RUN = "microvmsandbox.dev/run";
    public static final String HOST = "microvmsandbox.dev/host";
    public static final String PID = "microvmsandbox.dev/pid";
    public static final String START = "microvmsandbox.dev/start-ticks";

    private static final RunOwner CURRENT = new RunOwner(
            UUID.randomUUID().toString().replace("-", "").substring(0, 16),
            labelValue(hostName()),
            ProcessHandle.current().pid(),
            ProcessStart.ticks(ProcessHandle.current().pid()).orElse(-1L));

    /** This JVM. */
    public static RunOwner current() {
        return CURRENT;
    }

    /** The labels a sandbox of this owner carries. */
    public Map<String, String> labels() {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(MANAGED_BY, MANAGED_BY_VALUE);
        labels.put(RUN, run);
        labels.put(HOST, host);
        labels.put(PID, Long.toString(pid));
        labels.put(START, Long.toString(startTicks));
        return labels;
    }

    /** The owner named by a sandbox's labels, if they name one completely. */
    public static Optional<RunOwner> fromLabels(Map<String, String> labels) {
        if (labels == null || !MANAGED_BY_VALUE.equals(labels.get(MANAGED_BY))) {
            return Optional.empty();
        }
        try {
            return Optional.of(new RunOwner(
                    labels.getOrDefault(RUN, ""),
                    labels.getOrDefault(HOST, ""),
                    Long.parseLong(labels.getOrDefault(PID, "")),
                    Long.parseLong(labels.getOrDefault(START, ""))));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * Whether this owner is known to have ended: it ran on this host and its process is gone or
     * is another one now. An owner on another host is never known to have ended from here.
     */
    public boolean endedOnThisHost() {
        if (!host.equals(CURRENT.host)) {
            return false;
        }
        if (pid == CURRENT.pid && startTicks == CURRENT.startTicks) {
            return false;
        }
        Optional<ProcessHandle> process = ProcessHandle.of(pid);
        if (process.isEmpty() || !process.get().isAlive()) {
            return true;
        }
        Optional<Long> ticks = ProcessStart.ticks(pid);
        return ticks.isPresent() && startTicks >= 0 && ticks.get() != startTicks;
    }

    private static String hostName() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env;
        }
        try {
            return Files.readString(Path.of("/etc/hostname")).strip();
        } catch (IOException e) {
            try {
                return InetAddress.getLocalHost().getHostName();
            } catch (IOException unknown) {
                return "unknown";
            }
        }
    }

    /** Kubernetes label values: at most 63 of [A-Za-z0-9._-], beginning and ending alphanumeric. */
    static String labelValue(String text) {
        String s = text.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]", "-");
        if (s.length() > 63) {
            s = s.substring(0, 63);
        }
        s = s.replaceAll("^[^a-z0-9]+", "").replaceAll("[^a-z0-9]+$", "");
        return s.isEmpty() ? "unknown" : s;
    }
}
