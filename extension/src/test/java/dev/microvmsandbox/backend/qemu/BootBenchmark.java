package dev.microvmsandbox.backend.qemu;

import dev.microvmsandbox.backend.Accelerator;
import dev.microvmsandbox.backend.Sandbox;
import dev.microvmsandbox.backend.SandboxConfig;
import dev.microvmsandbox.guestimage.GuestImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Prints boot-to-ready (median of N) beside a bare kernel-to-init boot on the same accelerator,
 * and the idle qemu RSS. Run: {@code mvn -pl extension -Pbench exec:java@boot}.
 */
public final class BootBenchmark {

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        SandboxConfig config = SandboxConfig.defaults().withMemory("2g").withCpus(2);
        GuestImage image = GuestImage.resolve();
        AcceleratorProbe.Choice accel = new AcceleratorProbe().choose(Accelerator.AUTO, false);
        String qemu = QemuBackend.findQemu().orElseThrow();

        List<Long> bare = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            bare.add(bareKernelBoot(qemu, accel, image));
        }
        List<Long> ready = new ArrayList<>();
        long rssKb = 0;
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            try (Sandbox sandbox = QemuBackend.create().start(config)) {
                ready.add((System.nanoTime() - t0) / 1_000_000);
                if (i == runs - 1) {
                    Thread.sleep(5000);
                    rssKb = rssKb(((QemuVm) sandbox).qemuProcess().pid());
                }
            }
        }
        System.out.printf("accelerator:                 %s%n", accel.reason());
        System.out.printf("bare kernel to init and off: median %d ms  (runs: %s)%n", median(bare), bare);
        System.out.printf("boot to podman ready+agent:  median %d ms  (runs: %s)%n", median(ready), ready);
        System.out.printf("idle qemu RSS (2g guest):    %d MiB%n", rssKb / 1024);
    }

    /** qemu with the same kernel and initramfs, whose init powers off at once. */
    private static long bareKernelBoot(String qemu, AcceleratorProbe.Choice accel, GuestImage image) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(qemu, "-M", "microvm"));
        cmd.addAll(
                accel.isKvm()
                        ? List.of("-accel", "kvm", "-cpu", "host")
                        : List.of("-accel", "tcg,tb-size=128", "-cpu", "max"));
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
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }
}
