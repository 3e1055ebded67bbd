package dev.microvmsandbox.bench;

import dev.microvmsandbox.backend.Command;
import dev.microvmsandbox.backend.CommandResult;
import dev.microvmsandbox.backend.Sandbox;
import dev.microvmsandbox.backend.SandboxConfig;
import dev.microvmsandbox.backend.qemu.QemuBackend;
import dev.microvmsandbox.guestimage.GuestImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * podman's overlay and vfs storage drivers side by side in one guest, on its ext4 scratch disk:
 * image load, container create and start, and disk used, for the quickstart's Redis image and a
 * synthetic image of about 400 MB. Each driver gets a store of its own; the guest's own podman
 * service is not used. Run: {@code mvn -pl extension -Pbench test-compile exec:exec@storage}.
 */
public final class StorageBenchmark {

    private static final int CONTAINERS = 3;

    public static void main(String[] args) throws Exception {
        Path redis = SandboxBenchmarks.redisArchive();
        Path work = Files.createDirectories(Path.of(System.getProperty("user.dir"), "target", "bench-images"));
        Path big = SyntheticImage.write(
                GuestImage.resolve().testImages().resolve("busybox.tar"),
                work.resolve("big-400.tar"),
                "localhost/bench/big:400",
                384);
        Map<String, Map<String, String>> table = new LinkedHashMap<>();
        try (Sandbox sandbox = QemuBackend.create()
                .start(SandboxConfig.defaults()
                        .withMemory("2g")
                        .withCpus(2)
                        .withTimeout(Duration.ofMinutes(60))
                        .withDisk(dev.microvmsandbox.backend.ByteSize.parse("16g")))) {
            sandbox.copyIn(redis, "/var/lib/containers/redis.tar", 0644);
            sandbox.copyIn(big, "/var/lib/containers/big.tar", 0644);
            for (String image : List.of("redis", "big")) {
                String name = image.equals("redis") ? "localhost/samples/redis:7" : "localhost/bench/big:400";
                for (String driver : List.of("overlay", "vfs")) {
                    table.put(
                            image + " " + driver,
                            measure(sandbox, driver, "/var/lib/containers/" + image + ".tar", name));
                }
            }
        }
        System.out.printf(
                "%-14s %10s %12s %14s %14s %12s %12s%n",
                "image driver", "load ms", "store MiB", "create ms", "start ms", "run --rm ms", "+3 ctrs MiB");
        table.forEach((k, v) -> System.out.printf(
                "%-14s %10s %12s %14s %14s %12s %12s%n",
                k,
                v.get("load"),
                v.get("storeMiB"),
                v.get("create"),
                v.get("start"),
                v.get("runRm"),
                v.get("containersMiB")));
        System.out.println("(create, start and run --rm: median of " + CONTAINERS + "; a container's disk use is what"
                + " its store grew by for " + CONTAINERS + " containers)");
    }

    private static Map<String, String> measure(Sandbox sandbox, String driver, String archive, String image) {
        String p = "podman --storage-driver=" + driver + " --root=/var/lib/containers/bench-" + driver
                + " --runroot=/run/bench-" + driver;
        sh(sandbox, p + " rm -af >/dev/null 2>&1; " + p + " rmi -af >/dev/null 2>&1; true");
        Map<String, String> r = new LinkedHashMap<>();
        r.put("load", Long.toString(millis(sandbox, p + " load -q -i " + archive)));
        long storeKiB = du(sandbox, driver);
        r.put("storeMiB", Long.toString(storeKiB / 1024));
        List<Long> create = new ArrayList<>();
        List<Long> start = new ArrayList<>();
        for (int i = 0; i < CONTAINERS; i++) {
            create.add(millis(sandbox, p + " create --network=none --name c" + i + " " + image + " sleep 600"));
            start.add(millis(sandbox, p + " start c" + i));
        }
        r.put("create", Long.toString(median(create)));
        r.put("start", Long.toString(median(start)));
        r.put("containersMiB", Long.toString((du(sandbox, driver) - storeKiB) / 1024));
        List<Long> runRm = new ArrayList<>();
        for (int i = 0; i < CONTAINERS; i++) {
            runRm.add(millis(sandbox, p + " run --rm --network=none " + image + " true"));
        }
        r.put("runRm", Long.toString(median(runRm)));
        sh(
                sandbox,
                p + " rm -af -t 0 >/dev/null 2>&1; " + p + " rmi -af >/dev/null 2>&1; rm -rf /var/lib/containers/bench-"
                        + driver);
        return r;
    }

    private static long du(Sandbox sandbox, String driver) {
        return Long.parseLong(sh(sandbox, "du -sxk /var/lib/containers/bench-" + driver + " | cut -f1")
                .strip());
    }

    /** Wall time of a command in the guest, measured in the guest (date +%s%N), so the channel does not count. */
    private static long millis(Sandbox sandbox, String command) {
        String out = sh(
                sandbox, "a=$(date +%s%N); " + command + " >/dev/null; b=$(date +%s%N); echo $(( (b - a) / 1000000 ))");
        return Long.parseLong(out.strip().lines().reduce((x, y) -> y).orElse("-1"));
    }

    private static String sh(Sandbox sandbox, String script) {
        CommandResult r = sandbox.exec(Command.shell("set -e; " + script).withTimeout(Duration.ofMinutes(20)));
        if (!r.succeeded()) {
            throw new IllegalStateException(script + " failed (" + r.exitCode() + "): " + r.stderr());
        }
        return r.stdout();
    }

    private static long median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }
}
