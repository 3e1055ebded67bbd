package dev.microvmsandbox.backend.qemu;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Where one boot's time went: host steps timed here, guest steps from the guest's uptime at each
 * step (sent with the agent's hello), and how long each step of the attach took (sent with its
 * ready). The guest's numbers are diagnostics: anything outside the known steps or a day's range
 * is dropped, and nothing but logs and benchmarks read them.
 */
final class BootTimeline {

    /** Guest steps in boot order, as the bootstrap and agent name them. */
    static final List<String> GUEST_STEPS =
            List.of("initramfs", "root", "bootstrap", "podman", "agent", "jvm", "hello");

    /** A step of the attach, as the agent names it, and the phase it is shown as. */
    record AttachStep(String name, String phase) {}

    /** The attach's steps in the order the agent takes them. */
    static final List<AttachStep> ATTACH_STEPS = List.of(
            new AttachStep("identity", "attach: clock, entropy"),
            new AttachStep("classpath", "attach: classpath"),
            new AttachStep("testcontainers", "attach: Testcontainers settings"),
            new AttachStep("setup", "attach: setup"),
            new AttachStep("podman", "attach: podman answers"));

    private static final long DAY_MILLIS = 24L * 3600 * 1000;

    private final long start = System.nanoTime();
    private final Map<String, Long> hostMarks = new LinkedHashMap<>();
    private volatile Map<String, Long> guestSteps = Map.of();
    private volatile Map<String, Long> attachSteps = Map.of();
    private volatile long readyUptime = -1;
    private volatile boolean restored;

    BootTimeline() {
        hostMarks.put("start", 0L);
    }

    /** Notes that the host step {@code name} ended now. */
    synchronized void mark(String name) {
        hostMarks.put(name, (System.nanoTime() - start) / 1_000_000);
    }

    synchronized Optional<Long> hostMillis(String name) {
        return Optional.ofNullable(hostMarks.get(name));
    }

    void guestSteps(Map<String, Long> steps) {
        guestSteps = kept(steps, GUEST_STEPS);
    }

    void attachSteps(Map<String, Long> steps) {
        attachSteps = kept(steps, ATTACH_STEPS.stream().map(AttachStep::name).toList());
    }

    private static Map<String, Long> kept(Map<String, Long> steps, List<String> known) {
        Map<String, Long> kept = new LinkedHashMap<>();
        if (steps != null) {
            for (String name : known) {
                Long v = steps.get(name);
                if (v != null && v >= 0 && v < DAY_MILLIS) {
                    kept.put(name, v);
                }
            }
        }
        return Map.copyOf(kept);
    }

    void readyUptime(long millis) {
        readyUptime = millis >= 0 && millis < DAY_MILLIS ? millis : -1;
    }

    /**
     * The phases in order, each in milliseconds (absent when a step was not reported): the host's
     * preparation, qemu and firmware up to the guest kernel's start (host time to the hello less
     * the guest's uptime then), the guest's steps, and the wait for podman (with the sandbox's own
     * setup) after the agent said hello.
     */
    synchronized Map<String, Long> phases() {
        if (restored) {
            return restorePhases();
        }
        Map<String, Long> p = new LinkedHashMap<>();
        between(p, "host: scratch disk", hostMarks.get("start"), hostMarks.get("scratch"));
        between(p, "host: classpath staging", hostMarks.get("scratch"), hostMarks.get("staged"));
        Long spawned = hostMarks.get("spawned");
        Long hello = hostMarks.get("hello");
        Long helloUp = guestSteps.get("hello");
        if (spawned != null && hello != null && helloUp != null) {
            p.put("qemu start and firmware", hello - spawned - helloUp);
        }
        between(p, "kernel", 0L, guestSteps.get("initramfs"));
        between(p, "initramfs: modules, root", guestSteps.get("initramfs"), guestSteps.get("root"));
        between(p, "bootstrap: mounts, cgroups", guestSteps.get("root"), guestSteps.get("podman"));
        between(p, "bootstrap: shares, agent exec", guestSteps.get("podman"), guestSteps.get("agent"));
        between(p, "agent JVM start", guestSteps.get("agent"), guestSteps.get("jvm"));
        between(p, "agent connect", guestSteps.get("jvm"), helloUp);
        if (helloUp != null && readyUptime >= 0) {
            p.put("wait for podman", Math.max(0, readyUptime - helloUp));
        }
        between(p, "total", 0L, hostMarks.get("ready"));
        return p;
    }

    /** Marks this timeline as a restore's, whose guest booted long ago for the template. */
    void restored() {
        restored = true;
    }

    boolean isRestore() {
        return restored;
    }

    private Map<String, Long> restorePhases() {
        Map<String, Long> p = new LinkedHashMap<>();
        between(p, "host: classpath staging", hostMarks.get("start"), hostMarks.get("staged"));
        between(p, "qemu start", hostMarks.get("staged"), hostMarks.get("spawned"));
        between(p, "restore: monitor, incoming", hostMarks.get("spawned"), hostMarks.get("incoming"));
        between(p, "restore: state, resume, hello", hostMarks.get("incoming"), hostMarks.get("hello"));
        Long hello = hostMarks.get("hello");
        Long ready = hostMarks.get("ready");
        Map<String, Long> steps = attachSteps;
        if (steps.isEmpty() || hello == null || ready == null) {
            between(p, "attach: clock, entropy, classpath, setup", hello, ready);
        } else {
            long stepsMillis = 0;
            for (AttachStep step : ATTACH_STEPS) {
                Long v = steps.get(step.name());
                if (v != null) {
                    p.put(step.phase(), v);
                    stepsMillis += v;
                }
            }
            // what the steps do not account for: the messages' way both ways
            p.put("attach: the rest (the messages' way)", Math.max(0, ready - hello - stepsMillis));
        }
        between(p, "total", 0L, ready);
        return p;
    }

    /** podman's own start to ready, which overlaps the agent's start. */
    Optional<Long> podmanMillis() {
        Long podman = guestSteps.get("podman");
        return podman == null || readyUptime < 0 ? Optional.empty() : Optional.of(readyUptime - podman);
    }

    /** One line for the log. */
    String describe() {
        return phases().entrySet().stream()
                .map(e -> e.getKey() + " " + e.getValue() + " ms")
                .collect(Collectors.joining(", "));
    }

    private static void between(Map<String, Long> p, String name, Long from, Long to) {
        if (from != null && to != null) {
            p.put(name, to - from);
        }
    }
}
