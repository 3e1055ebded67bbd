package dev.microvmsandbox.backend.qemu;

import dev.microvmsandbox.backend.SandboxConfig;
import dev.microvmsandbox.guestimage.GuestImage;
import dev.microvmsandbox.hostfs.ContentDigest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything that shapes a saved guest, and its digest, the template's folder name: the guest
 * image (its manifest, so a rebuilt image is a new key, and its files' sizes and times, so one
 * changed in place is too), the qemu binary, the accelerator (and
 * under KVM the host CPU and kernel, whose state a restore must match), the guest's memory, vCPUs
 * and scratch disk, the agent disk (the agent's jars and JVM options, and the disk file's size and
 * time), the number of extra shares, whether there is a host-path share, and the image store
 * (podman reads its additional stores when it starts, in the template; again with its file's size
 * and time). A sandbox differs from its template only in what is not here.
 */
record TemplateKey(Map<String, String> inputs) {

    /** Bumped whenever the way templates are made or restored changes. */
    static final String FORMAT = "template 1";

    TemplateKey {
        inputs = Map.copyOf(inputs);
    }

    static TemplateKey of(
            String qemuBinary,
            AcceleratorProbe.Choice accel,
            SandboxConfig config,
            GuestImage image,
            AgentDisk agentDisk,
            Optional<ImageStore> store)
            throws IOException {
        Map<String, String> in = new LinkedHashMap<>();
        in.put("format", FORMAT);
        in.put("image", image.directory().getFileName() + " " + image.fingerprint());
        // a file changed in place after the template was made (damaged, say) is a new key: the
        // template's guest has the old root mounted and would not read it, a boot does
        in.put("rootfs", fileStamp(image.rootfs()));
        in.put("kernel", fileStamp(image.vmlinux()) + " " + fileStamp(image.initrd()));
        in.put("qemu", fileStamp(Path.of(qemuBinary)));
        in.put("accelerator", accel.accelerator().name());
        in.put("accel", QemuCommandLine.accelerator(accel));
        in.put("cpu", QemuCommandLine.cpu(accel));
        if (accel.isKvm()) {
            in.put("host kernel", System.getProperty("os.version", "?"));
            in.put("host cpu", cpuDigest());
        }
        in.put("memory", config.memory().mebibytes() + "M");
        in.put("cpus", Integer.toString(config.cpus()));
        in.put("disk", config.disk().bytes() + "");
        // a disk made again (evicted from its cache, then needed) is a new key as well: the
        // template's guest has the old one mounted, and a new one's file system differs in its bytes
        in.put("agent disk", agentDisk.digest() + " " + fileStamp(agentDisk.file()));
        in.put("shares", Integer.toString(config.mounts().size()));
        // the host-path share is a device of its own: a template has it (empty) or not
        in.put("host share", Boolean.toString(!config.hostPaths().isEmpty()));
        in.put(
                "image store",
                store.isPresent()
                        ? store.get().digest() + " " + fileStamp(store.get().file())
                        : "none");
        return new TemplateKey(new LinkedHashMap<>(in));
    }

    /** The folder name: 20 hex digits of the inputs' digest. */
    String hash() {
        return ContentDigest.ofStrings(inputs.entrySet().stream()
                        .sorted(Map.Entry.comparingByKey())
                        .map(e -> e.getKey() + "=" + e.getValue())
                        .toList())
                .substring(0, 20);
    }

    /** Why a sandbox with this configuration cannot come from a template, if it cannot. */
    static Optional<String> ineligible(SandboxConfig config) {
        if (config.hostJavaHome().isPresent()) {
            return Optional.of("the agent runs on the host's Java, shared over 9p, which a saved guest cannot hold");
        }
        if (!config.env().isEmpty()) {
            return Optional.of("its environment variables are fixed when the agent's JVM starts, and no template "
                    + "is made with a user's values");
        }
        return Optional.empty();
    }

    /** Path, size and time of a file: a new build of qemu, or a write to an image file, changes at least one. */
    private static String fileStamp(Path file) throws IOException {
        Path real = file.toRealPath();
        BasicFileAttributes a = Files.readAttributes(real, BasicFileAttributes.class);
        return real + " " + a.size() + " " + a.lastModifiedTime().toMillis();
    }

    private static String cpuDigest() throws IOException {
        List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                .filter(l -> l.startsWith("model name") || l.startsWith("flags") || l.startsWith("microcode"))
                .distinct()
                .toList();
        return ContentDigest.ofStrings(lines).substring(0, 16);
    }
}
