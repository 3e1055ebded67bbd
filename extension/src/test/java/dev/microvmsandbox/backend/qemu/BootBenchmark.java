package dev.microvmsandbox.backend.qemu;

import dev.microvmsandbox.backend.Accelerator;
import dev.microvmsandbox.backend.ByteSize;
import dev.microvmsandbox.backend.Sandbox;
import dev.microvmsandbox.backend.SandboxConfig;
import dev.microvmsandbox.guestimage.GuestImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Prints a bare kernel-to-init boot, boot-to-ready and restore-to-ready (from a template) on the
 * same accelerator, each sandbox's phases (host preparation, qemu and firmware, kernel, initramfs,
 * bootstrap, agent JVM, podman; for a restore: qemu start, state load, attach) and their medians,
 * how many boots and restores stalled or failed, and the idle qemu RSS. Run: {@code mvn -pl
 * extension -Pbench test-compile exec:exec@boot} ({@code -Dboot.runs=50} for a long series,
 * {@code -Dboot.parallel=2} to have that many sandboxes start at once, {@code -Dboot.only=boot}
 * for the boots alone, {@code -Dboot.only=restore} for the restores alone, {@code
 * -Dboot.only=template} for that many templates made and restored, each for a configuration of its
 * own).
 */
public final class BootBenchmark {

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int parallel = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        String only = args.length > 2 ? args[2] : "all";
        boolean restoresOnly = only.equals("restore") || only.equals("template");
        int bareRuns = restoresOnly ? 1 : Math.min(runs, 5);
        SandboxConfig config = SandboxConfig.defaults().withMemory("2g").withCpus(2);
        GuestImage image = GuestImage.resolve();
        AcceleratorProbe.Choice accel = new AcceleratorProbe().choose(Accelerator.AUTO, false);
        String qemu = QemuBackend.findQemu().orElseThrow();

        List<Long> bare = new ArrayList<>();
        for (int i = 0; i < bareRuns; i++) {
            bare.add(bareKernelBoot(qemu, accel, image));
        }
        System.setProperty(QemuBackend.TEMPLATES_PROPERTY, "false");
        Series boots = series("boot", restoresOnly ? 0 : runs, parallel, config);
        if (only.equals("boot")) {
            printSetting(accel, parallel, bare);
            boots.print("boot to ready (podman + agent)");
            return;
        }
        System.setProperty(QemuBackend.TEMPLATES_PROPERTY, "true");
        long t0 = System.nanoTime();
        try (Sandbox first = QemuBackend.create().start(config)) {
            System.out.printf(
                    "first sandbox with templates on (saves the template if there is none, then restores): %d ms%n",
                    (System.nanoTime() - t0) / 1_000_000);
        }
        Series restores = series(only.equals("template") ? "template" : "restore", runs, parallel, config);

        printSetting(accel, parallel, bare);
        if (!restoresOnly) {
            boots.print("boot to ready (podman + agent)");
        }
        restores.print(
                only.equals("template")
                        ? "template made, then restore to ready (a configuration each)"
                        : "restore to ready (from a template)");
        System.out.printf(
                "restore to ready / bare kernel boot: %.2f%n", (double) median(restores.ready) / median(bare));
    }

    private static void printSetting(AcceleratorProbe.Choice accel, int parallel, List<Long> bare) {
        System.out.printf("accelerator:                 %s%n", accel.reason());
        System.out.printf("sandboxes starting at once:  %d%n", parallel);
        System.out.printf("bare kernel to init and off: median %d ms  (runs: %s)%n", median(bare), bare);
    }

    /** Many sandboxes in a row, each timed and taken apart into its phases. */
    private static final class Series {
        final String name;
        final List<Long> ready = new ArrayList<>();
        final Map<String, List<Long>> phases = new LinkedHashMap<>();
        final List<String> failures = new ArrayList<>();
        int lockups;
        long idleRssKb;
        int runs;

        Series(String name) {
            this.name = name;
        }

        void print(String title) {
            System.out.printf("%s: median %d ms  (runs: %s)%n", title, median(ready), ready);
            System.out.printf("  phases, median of %d (ms):%n", ready.size());
            phases.forEach((k, v) -> System.out.printf(
                    "    %-34s %6d  (min %d, max %d)%n", k, median(v), Collections.min(v), Collections.max(v)));
            System.out.printf(
                    "  %ss: %d, failed: %d, soft lockups on the console: %d%n", name, runs, failures.size(), lockups);
            failures.forEach(f -> System.out.println("    " + f));
            System.out.printf("  idle qemu RSS, 2g guest, 5 s after ready: %d MiB%n", idleRssKb / 1024);
        }
    }

    /** {@code runs} sandboxes, {@code parallel} of them starting at once. */
    private static Series series(String name, int runs, int parallel, SandboxConfig config) throws Exception {
        Series s = new Series(name);
        s.runs = runs;
        ExecutorService pool = Executors.newFixedThreadPool(parallel);
        try {
            List<Future<?>> all = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                int n = i + 1;
                all.add(pool.submit(() -> {
                    one(s, n, n > runs - parallel, config);
                    return null;
                }));
            }
            for (Future<?> f : all) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        return s;
    }

    private static void one(Series s, int n, boolean last, SandboxConfig config) throws Exception {
        String name = s.name;
        boolean restore = !name.equals("boot");
        SandboxConfig own = name.equals("template")
                // a memory size of its own is a template key of its own: this sandbox makes its template
                ? config.withMemory(ByteSize.ofMebibytes(config.memory().mebibytes() + n))
                : config;
        long t0 = System.nanoTime();
        try (Sandbox sandbox = QemuBackend.create().start(own)) {
            long ready = (System.nanoTime() - t0) / 1_000_000;
            QemuVm vm = (QemuVm) sandbox;
            synchronized (s) {
                s.ready.add(ready);
                if (vm.timeline().isRestore() != restore) {
                    s.failures.add(name + " " + n + " was a " + (vm.timeline().isRestore() ? "restore" : "boot"));
                }
                vm.timeline()
                        .phases()
                        .forEach((k, v) -> s.phases
                                .computeIfAbsent(k, x -> new ArrayList<>())
                                .add(v));
                System.out.printf("%s %2d: %s%n", name, n, vm.timeline().describe());
                if (sandbox.consoleTail().contains("soft lockup")) {
                    s.lockups++;
                    System.out.printf("%s %2d: the console shows a soft lockup:%n%s%n", name, n, sandbox.consoleTail());
                }
            }
            if (last) {
                Thread.sleep(5000);
                long rss = rssKb(vm.qemuProcess().pid());
                synchronized (s) {
                    s.idleRssKb = Math.max(s.idleRssKb, rss);
                }
            }
        } catch (RuntimeException e) {
            synchronized (s) {
                s.failures.add(
                        name + " " + n + " after " + (System.nanoTime() - t0) / 1_000_000 + " ms: " + e.getMessage());
                System.out.printf("%s %2d FAILED: %s%n", name, n, e.getMessage());
            }
        }
    }

    /** qemu with the same kernel and initramfs, whose init powers off at once. */
    private static long bareKernelBoot(String qemu, AcceleratorProbe.Choice accel, GuestImage image) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(qemu, "-M", "microvm"));
        cmd.addAll(List.of("-accel", QemuCommandLine.accelerator(accel), "-cpu", QemuCommandLine.cpu(accel)));
        cmd.addAll(List.of(
                "-smp",
                "2",
                "-m",
                "2048M",
                "-nodefaults",
                "-no-user-config",
                "-display",
                "none",
                "-monitor",
                "none",
                "-serial",
                "null",
                "-no-reboot",
                "-kernel",
                image.vmlinux().toString(),
                "-initrd",
                image.initrd().toString(),
                "-append",
                "console=ttyS0 quiet panic=-1 reboot=t"
                        + (accel.isKvm()
                                ? ""
                                : QemuCommandLine.hostTscKhz()
                                        .map(khz -> " tsc_early_khz=" + khz)
                                        .orElse(""))
                        + " rdinit=/bin/busybox -- reboot -f"));
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("bare kernel boot did not power off within 120 s");
        }
        return (System.nanoTime() - t0) / 1_000_000;
    }

    private static long rssKb(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return -1;
    }

    private static long median(List<Long> values) {
        if (values.isEmpty()) {
            return -1;
        }
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }
}
