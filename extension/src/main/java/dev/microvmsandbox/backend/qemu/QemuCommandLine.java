package dev.microvmsandbox.backend.qemu;

import dev.microvmsandbox.backend.SandboxConfig;
import dev.microvmsandbox.guestimage.GuestImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The qemu-system-x86_64 argument list for one sandbox. */
final class QemuCommandLine {

    static final String CHANNEL_SOCKET = "channel.sock";
    static final String SCRATCH_DISK = "scratch.ext4";
    static final String CLASSPATH_DIR = "cp";
    static final String HOST_DIR = "host";
    static final String QEMU_PID = RunDirectory.QEMU_PID;

    private QemuCommandLine() {}

    static List<String> build(
            String qemuBinary,
            AcceleratorProbe.Choice accel,
            SandboxConfig config,
            GuestImage image,
            Path runDir,
            List<Path> mountSources) {
        List<String> a = new ArrayList<>();
        a.add(qemuBinary);
        a.add("-M");
        a.add("microvm");
        if (accel.isKvm()) {
            a.addAll(List.of("-accel", "kvm", "-cpu", "host"));
        } else {
            // a smaller translation cache saves ~100 MB of host memory per VM at no measurable cost
            a.addAll(List.of("-accel", "tcg,tb-size=128", "-cpu", "max"));
        }
        a.addAll(List.of(
                "-smp", Integer.toString(config.cpus()), "-m", config.memory().mebibytes() + "M"));
        a.addAll(List.of(
                "-nodefaults",
                "-no-user-config",
                "-display",
                "none",
                "-monitor",
                "none",
                "-serial",
                "stdio",
                "-no-reboot"));
        a.addAll(List.of("-pidfile", runDir.resolve(QEMU_PID).toString()));
        a.addAll(List.of(
                "-kernel", image.vmlinux().toString(), "-initrd", image.initrd().toString()));
        StringBuilder cmdline = new StringBuilder("console=ttyS0 quiet panic=-1 reboot=t msb.agent=1");
        if (!accel.isKvm()) {
            // under TCG on a busy host the kernel's TSC calibration against the PIT can fail and hang the boot
            hostTscKhz().ifPresent(khz -> cmdline.append(" tsc_early_khz=").append(khz));
        }
        if (config.hostJavaHome().isPresent()) {
            cmdline.append(" msb.jdk=1");
        }
        a.addAll(List.of("-append", cmdline.toString()));
        // root must be the first block device (vda), the scratch disk the second (vdb)
        a.addAll(List.of(
                "-drive",
                "id=root,file=" + escape(image.rootfs()) + ",format=raw,if=none,readonly=on",
                "-device",
                "virtio-blk-device,drive=root"));
        a.addAll(List.of(
                "-drive",
                "id=scratch,file=" + escape(runDir.resolve(SCRATCH_DISK)) + ",format=raw,if=none,discard=unmap",
                "-device",
                "virtio-blk-device,drive=scratch"));
        a.addAll(List.of("-device", "virtio-rng-device"));
        a.addAll(List.of(
                "-device",
                "virtio-serial-device",
                "-chardev",
                "socket,id=ch0,path=" + escape(runDir.resolve(CHANNEL_SOCKET)) + ",server=on,wait=off",
                "-device",
                "virtserialport,chardev=ch0,name=msb.0"));
        share(a, "cp", runDir.resolve(CLASSPATH_DIR), "msb-cp");
        config.hostJavaHome().ifPresent(jdk -> share(a, "jdk", jdk, "msb-jdk"));
        if (!config.hostPaths().isEmpty()) {
            share(a, "host", runDir.resolve(HOST_DIR), HostPathStaging.TAG);
        }
        for (int i = 0; i < mountSources.size(); i++) {
            share(a, "m" + i, mountSources.get(i), "msb-m" + i);
        }
        return a;
    }

    /** The host CPU's clock in kHz, from the first "cpu MHz" line of /proc/cpuinfo. */
    static java.util.Optional<Long> hostTscKhz() {
        try {
            return java.nio.file.Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("cpu MHz"))
                    .findFirst()
                    .map(l -> Math.round(
                            Double.parseDouble(l.substring(l.indexOf(':') + 1).trim()) * 1000));
        } catch (java.io.IOException | RuntimeException e) {
            return java.util.Optional.empty();
        }
    }

    private static void share(List<String> a, String id, Path hostDir, String tag) {
        a.addAll(List.of(
                "-fsdev",
                "local,id=" + id + ",path=" + escape(hostDir) + ",security_model=none,readonly=on",
                "-device",
                "virtio-9p-device,fsdev=" + id + ",mount_tag=" + tag));
    }

    /** QEMU option values separate on commas; a literal comma is written twice. */
    private static String escape(Path p) {
        return p.toAbsolutePath().toString().replace(",", ",,");
    }
}
