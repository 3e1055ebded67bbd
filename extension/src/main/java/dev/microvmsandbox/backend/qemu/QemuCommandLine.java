package dev.microvmsandbox.backend.qemu;

import dev.microvmsandbox.backend.SandboxConfig;
import dev.microvmsandbox.guestimage.GuestImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The qemu-system-x86_64 argument list for one sandbox: booted, booted to be saved as a template,
 * or restored from one. A template and its clones get the same machine and the same devices in
 * the same order (migration restores device state by position); only what lies outside the
 * guest differs: files behind the devices, sockets, and how memory is mapped.
 */
final class QemuCommandLine {

    /**
     * The guest CPU under TCG: QEMU's maximum without the AVX family. QEMU 7.2 (Debian 12's) is the
     * first release whose TCG emulates AVX and AVX2, which the guest JVM uses for intrinsics and
     * vectorised loops on {@code -cpu max} ({@code UseAVX=2}); without them it runs its SSE4.2 code.
     * A precaution against the newest part of the emulator, not the fix for the JVM crashes seen
     * (see {@link #TCG}). Under KVM the guest gets the host's CPU.
     */
    static final String TCG_CPU = "max,avx=off,avx2=off,fma=off,f16c=off,vaes=off,vpclmulqdq=off,avx-vnni=off";

    /**
     * TCG's options: one host thread runs every vCPU in turn ({@code thread=single}). With a thread
     * per vCPU, guest JVMs died now and then in full runs here of SIGSEGV and SIGILL in JIT-compiled
     * code (C1's {@code String.startsWith}, {@code java.util.zip}), with and without AVX. HotSpot
     * patches running code on the assumption that an aligned call or jump target is fetched whole,
     * while TCG's translator reads instruction bytes one by one, so a translation that races a patch
     * on another vCPU can see a torn target; in turns, no translation overlaps a write. That is the
     * likely cause, not a proven one. It costs parallelism in the guest: a boot to ready takes about
     * 1.6 times as long (the boot benchmark), a whole CI run about as long as before. A smaller
     * translation cache saves ~100 MB of host memory per VM at no measurable cost.
     */
    static final String TCG = "tcg,thread=single,tb-size=128";

    /** The {@code -accel} argument (part of a template's key). */
    static String accelerator(AcceleratorProbe.Choice accel) {
        return accel.isKvm() ? "kvm" : TCG;
    }

    /** The {@code -cpu} argument for the accelerator (part of a template's key). */
    static String cpu(AcceleratorProbe.Choice accel) {
        return accel.isKvm() ? "host" : TCG_CPU;
    }

    /**
     * A booted guest's balloon, which never inflates: it only reports the pages the guest freed
     * (in blocks of {@link #REPORTING_ORDER} and up, a few seconds after they were freed), and qemu
     * gives them back to the host. A template and its clones have none. Their memory is a file;
     * qemu 7.2 discards a reported page by punching a hole in the file, which would zero that page
     * under every clone that still reads it from the template, and later versions do the same with
     * a warning.
     */
    static final String BALLOON = "virtio-balloon-device,free-page-reporting=on";

    /**
     * The smallest free block the balloon reports: 2^4 pages, 64 KiB. The kernel's default, 2 MiB,
     * misses the pages a shrunken JVM heap leaves between others: with it an idle 3 GiB guest kept
     * about 150 MiB more of the 1 GiB a test had freed (the memory benchmark); 4 KiB blocks gave
     * back about as much as 64 KiB ones, in 16 times as many reports.
     */
    static final int REPORTING_ORDER = 4;

    static final String CHANNEL_SOCKET = "channel.sock";
    static final String QMP_SOCKET = "qmp.sock";
    static final String SCRATCH_DISK = "scratch.ext4";
    static final String CLASSPATH_DIR = "cp";
    static final String HOST_DIR = "host";
    static final String QEMU_PID = RunDirectory.QEMU_PID;

    /** How the guest starts and where its memory lives. */
    sealed interface Start {
        /** A fresh boot in anonymous memory. */
        record Boot() implements Start {}

        /** A fresh boot whose memory is the file {@code memory}, shared, to be saved as a template with {@code scratch}. */
        record ForTemplate(Path memory, Path scratch) implements Start {}

        /** A restore: the template's memory mapped copy-on-write, its scratch disk under a private overlay. */
        record Restore(Path memory, Path scratch) implements Start {}
    }

    /** An image store disk: filled by a builder VM (writable), or used by sandboxes (read-only, mounted at boot). */
    record StoreDisk(Path file, boolean writable) {}

    private QemuCommandLine() {}

    static List<String> build(
            String qemuBinary,
            AcceleratorProbe.Choice accel,
            SandboxConfig config,
            GuestImage image,
            Path runDir,
            List<Path> mountSources,
            Optional<AgentDisk> agentDisk,
            Optional<StoreDisk> store,
            Start start) {
        List<String> a = new ArrayList<>();
        a.add(qemuBinary);
        a.add("-M");
        a.add(start instanceof Start.Boot ? "microvm" : "microvm,memory-backend=ram");
        a.addAll(List.of("-accel", accelerator(accel), "-cpu", cpu(accel)));
        long mib = config.memory().mebibytes();
        a.addAll(List.of("-smp", Integer.toString(config.cpus()), "-m", mib + "M"));
        if (start instanceof Start.ForTemplate t) {
            a.addAll(List.of("-object", memory(mib, t.memory(), true)));
        } else if (start instanceof Start.Restore r) {
            // share=off: the clone's writes stay private to it; the file, and every sibling, never sees them
            a.addAll(List.of("-object", memory(mib, r.memory(), false)));
        }
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
        a.addAll(List.of("-append", kernelCommandLine(accel, config, start, store)));
        // root must be the first block device (vda), the scratch disk the second (vdb), the agent disk the third (vdc)
        a.addAll(List.of(
                "-drive",
                "id=root,file=" + escape(image.rootfs()) + ",format=raw,if=none,readonly=on",
                "-device",
                "virtio-blk-device,drive=root"));
        String scratch;
        if (start instanceof Start.Restore r) {
            // snapshot=on: the template's disk read-only below a temporary overlay in qemu's TMPDIR, the run folder
            scratch = "id=scratch,file=" + escape(r.scratch()) + ",format=raw,if=none,snapshot=on,discard=unmap";
        } else if (start instanceof Start.ForTemplate t) {
            scratch = "id=scratch,file=" + escape(t.scratch()) + ",format=raw,if=none,discard=unmap";
        } else {
            scratch = "id=scratch,file=" + escape(runDir.resolve(SCRATCH_DISK)) + ",format=raw,if=none,discard=unmap";
        }
        a.addAll(List.of("-drive", scratch, "-device", "virtio-blk-device,drive=scratch"));
        agentDisk.ifPresent(d -> a.addAll(List.of(
                "-drive",
                "id=agent,file=" + escape(d.file()) + ",format=raw,if=none,readonly=on",
                "-device",
                "virtio-blk-device,drive=agent")));
        // the image store is the fourth (vdd)
        store.ifPresent(d -> a.addAll(List.of(
                "-drive",
                "id=store,file=" + escape(d.file()) + ",format=raw,if=none" + (d.writable() ? "" : ",readonly=on"),
                "-device",
                "virtio-blk-device,drive=store")));
        a.addAll(List.of("-device", "virtio-rng-device"));
        if (start instanceof Start.Boot) {
            a.addAll(List.of("-device", BALLOON));
        }
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
        if (!(start instanceof Start.Boot)) {
            a.addAll(List.of("-qmp", "unix:" + escape(runDir.resolve(QMP_SOCKET)) + ",server=on,wait=off"));
        }
        if (start instanceof Start.Restore) {
            a.addAll(List.of("-incoming", "defer"));
        }
        return a;
    }

    /**
     * The same for a template and its clones (they share a kernel that booted once), so nothing
     * that differs between sandboxes of one template may be in it.
     */
    static String kernelCommandLine(
            AcceleratorProbe.Choice accel, SandboxConfig config, Start start, Optional<StoreDisk> store) {
        StringBuilder cmdline = new StringBuilder("console=ttyS0 quiet panic=-1 reboot=t msb.agent=1");
        if (!accel.isKvm()) {
            // under TCG on a busy host the kernel's TSC calibration against the PIT can fail and hang the boot
            hostTscKhz().ifPresent(khz -> cmdline.append(" tsc_early_khz=").append(khz));
        }
        if (config.hostJavaHome().isPresent()) {
            cmdline.append(" msb.jdk=1");
        }
        if (store.isPresent() && !store.get().writable()) {
            cmdline.append(" msb.store=1");
        }
        if (start instanceof Start.Boot) {
            cmdline.append(" page_reporting.page_reporting_order=").append(REPORTING_ORDER);
        }
        if (start instanceof Start.Boot && !config.env().isEmpty()) {
            // the bootstrap reads the user's variables from the classpath share before the agent starts
            cmdline.append(" msb.env=1");
        }
        return cmdline.toString();
    }

    private static String memory(long mib, Path file, boolean shared) {
        return "memory-backend-file,id=ram,size=" + mib + "M,mem-path=" + escape(file) + ",share="
                + (shared ? "on" : "off");
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
    static String escape(Path p) {
        return p.toAbsolutePath().toString().replace(",", ",,");
    }
}
