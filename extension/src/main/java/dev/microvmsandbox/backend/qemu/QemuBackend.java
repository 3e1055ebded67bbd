package dev.microvmsandbox.backend.qemu;

import dev.microvmsandbox.backend.Accelerator;
import dev.microvmsandbox.backend.AgentClasspath;
import dev.microvmsandbox.backend.Backend;
import dev.microvmsandbox.backend.Sandbox;
import dev.microvmsandbox.backend.SandboxConfig;
import dev.microvmsandbox.backend.SandboxException;
import dev.microvmsandbox.guestimage.GuestImage;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apiguardian.api.API;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default backend: a QEMU {@code microvm} guest with its own kernel, booted from the guest
 * image this project builds, KVM-accelerated where the host allows and TCG-emulated otherwise.
 */
@API(status = API.Status.INTERNAL)
public final class QemuBackend implements Backend {

    private static final Logger LOG = LoggerFactory.getLogger(QemuBackend.class);
    private static final String QEMU = "qemu-system-x86_64";
    /** {@code false} boots every sandbox instead of restoring it from a template (on by default). */
    static final String TEMPLATES_PROPERTY = "microvm.sandbox.templates";
    /** {@code false} loads a sandbox's images into it after it starts instead of attaching a prepared store. */
    static final String IMAGE_STORE_PROPERTY = "microvm.sandbox.imageStore";

    static final String INSTALL_QEMU = "install QEMU: sudo apt-get install qemu-system-x86 (Debian/Ubuntu), "
            + "or set microvm.sandbox.qemu to the qemu-system-x86_64 binary";
    private static final AtomicBoolean CLEANED = new AtomicBoolean();

    private final AcceleratorProbe probe;

    private QemuBackend(AcceleratorProbe probe) {
        this.probe = probe;
    }

    public static QemuBackend create() {
        return new QemuBackend(new AcceleratorProbe());
    }

    @Override
    public String name() {
        return "qemu";
    }

    @Override
    public Availability availability() {
        List<String> report = new ArrayList<>();
        boolean usable = true;
        Optional<String> qemu = findQemu();
        if (qemu.isPresent()) {
            report.add("ok    QEMU: " + qemu.get());
        } else {
            usable = false;
            report.add("FAIL  QEMU: " + QEMU + " not found. Fix: " + INSTALL_QEMU + ".");
        }
        if (!ScratchDisk.mkfsAvailable()) {
            usable = false;
            report.add("FAIL  mkfs.ext4 not found. Fix: sudo apt-get install e2fsprogs.");
        }
        report.add((QemuLauncher.setprivAvailable() ? "ok    " : "WARN  ") + "setpriv (kills VMs when the JVM dies): "
                + (QemuLauncher.setprivAvailable() ? "present" : "missing; install util-linux"));
        Optional<String> kvm = probe.kvmProblem();
        report.add(kvm.map(p -> "WARN  KVM not usable: " + p + ". VMs run under TCG (" + AcceleratorProbe.TCG_WARNING
                        + "). Fix: " + AcceleratorProbe.ENABLE_KVM + ".")
                .orElse("ok    KVM: /dev/kvm usable"));
        Optional<GuestImage> image = GuestImage.findBuilt();
        if (image.isPresent()) {
            try {
                image.get().verify(GuestImage.Verification.SIZES);
                report.add("ok    guest image: " + image.get().directory()
                        + " (every file there with its manifest's size)");
            } catch (SandboxException e) {
                usable = false;
                report.add("FAIL  " + e.getMessage());
            }
        } else {
            report.add("WARN  guest image not built yet; it is built on first use (a few minutes). Build it now: "
                    + GuestImage.BUILD_COMMAND);
        }
        return new Availability(usable, report);
    }

    @Override
    public Sandbox start(SandboxConfig config) {
        if (CLEANED.compareAndSet(false, true)) {
            RunDirectory.cleanUpAfterDeadOwners();
        }
        String qemu =
                findQemu().orElseThrow(() -> new SandboxException(QEMU + " was not found. Fix: " + INSTALL_QEMU + "."));
        GuestImage image = GuestImage.resolve();
        AcceleratorProbe.Choice choice = probe.choose(config.accelerator(), config.requireHardwareIsolation());
        if (choice.isKvm()) {
            LOG.info("sandbox acceleration: {}", choice.reason());
        } else {
            LOG.warn("sandbox acceleration: {}; {}", choice.reason(), AcceleratorProbe.TCG_WARNING);
        }
        try {
            return boot(qemu, config, image, choice);
        } catch (SandboxException e) {
            // a corrupt image shows only as a failed boot; the full check reads the whole image, so only then
            throw image.explainBootFailure(e);
        }
    }

    private static Sandbox boot(String qemu, SandboxConfig config, GuestImage image, AcceleratorProbe.Choice choice) {
        try {
            return startOn(qemu, config, image, choice);
        } catch (SandboxException e) {
            if (choice.isKvm() && config.accelerator() == Accelerator.AUTO && !config.requireHardwareIsolation()) {
                LOG.warn(
                        "sandbox failed to start under KVM, retrying under TCG ({}): {}",
                        AcceleratorProbe.TCG_WARNING,
                        e.getMessage().lines().findFirst().orElse(""));
                return startOn(
                        qemu,
                        config,
                        image,
                        new AcceleratorProbe.Choice(Accelerator.TCG, "TCG because a KVM start failed"));
            }
            throw e;
        }
    }

    /**
     * Restores the sandbox from its configuration's template (saving one first when there is none)
     * where templates are on and the configuration allows one, and boots it otherwise. A restore
     * that fails discards its template and falls back to a boot: a template never costs a sandbox.
     * A sandbox whose own setup fails (its shares' mounts) fails as it is: its template is not at fault.
     */
    private static Sandbox startOn(
            String qemu, SandboxConfig config, GuestImage image, AcceleratorProbe.Choice choice) {
        QemuVm.Machine machine = machine(qemu, config, image, choice);
        QemuVm vm = bootOrRestore(qemu, config, image, choice, machine);
        if (machine.store().isEmpty() && !config.images().isEmpty()) {
            // no store to attach: the images are loaded into this sandbox alone, as before stores
            try {
                vm.loadImages(config.images());
            } catch (RuntimeException e) {
                vm.close();
                throw e;
            }
        }
        return vm;
    }

    private static QemuVm bootOrRestore(
            String qemu,
            SandboxConfig config,
            GuestImage image,
            AcceleratorProbe.Choice choice,
            QemuVm.Machine machine) {
        Optional<String> why =
                templatesEnabled() ? TemplateKey.ineligible(config) : Optional.of(TEMPLATES_PROPERTY + "=false");
        if (why.isPresent()) {
            LOG.debug("booting without a template: {}", why.get());
            return QemuVm.boot(machine, config);
        }
        TemplateStore store = new TemplateStore(GuestImage.cacheDirectory());
        TemplateKey key;
        Template template;
        try {
            key = TemplateKey.of(qemu, choice, config, image, machine.agentDisk(), machine.store());
            template = store.obtain(key, folder -> QemuVm.saveTemplate(machine, config, folder));
        } catch (GuestBootFailure e) {
            throw e; // the template's boot was this sandbox's boot: booting again would meet the same guest
        } catch (IOException | SandboxException e) {
            LOG.warn("no template for this sandbox ({}); booting it", firstLine(e.getMessage()));
            return QemuVm.boot(machine, config);
        }
        try {
            return QemuVm.restore(machine, config, template);
        } catch (SandboxSetupFailure e) {
            throw e; // this sandbox's setup, not the template: a boot would fail alike
        } catch (SandboxException e) {
            // in full: what the guest's console said is all there is to tell why
            store.discard(key, "restoring from it failed (the sandbox boots instead): " + e.getMessage());
            return QemuVm.boot(machine, config);
        }
    }

    /**
     * The agent disk, and the image store of the configuration's images (made first when not
     * cached). Without a store (turned off, or it could not be made) the machine has none and the
     * images are loaded into the sandbox once it runs.
     */
    private static QemuVm.Machine machine(
            String qemu, SandboxConfig config, GuestImage image, AcceleratorProbe.Choice choice) {
        AgentDisk agentDisk;
        try {
            agentDisk = AgentDisk.forClasspath(GuestImage.cacheDirectory(), AgentClasspath.entries());
        } catch (IOException e) {
            throw new SandboxException("could not make the guest agent's disk: " + e.getMessage(), e);
        }
        QemuVm.Machine bare = new QemuVm.Machine(qemu, image, choice, agentDisk, Optional.empty());
        if (config.images().isEmpty()) {
            return bare;
        }
        if (!imageStoreEnabled()) {
            LOG.debug("no image store: {}=false", IMAGE_STORE_PROPERTY);
            return bare;
        }
        try {
            ImageStore store = ImageStore.obtain(
                    GuestImage.cacheDirectory(),
                    image.fingerprint(),
                    config.images(),
                    disk -> QemuVm.fillImageStore(bare, config.images(), disk));
            return new QemuVm.Machine(qemu, image, choice, agentDisk, Optional.of(store));
        } catch (IOException | SandboxException e) {
            LOG.warn(
                    "could not make an image store for {} ({}); loading the images into the sandbox instead",
                    config.images(),
                    firstLine(e.getMessage()));
            return bare;
        }
    }

    /** {@code microvm.sandbox.imageStore}: {@code true} (default) attaches a prepared image store. */
    static boolean imageStoreEnabled() {
        return onUnlessFalse(IMAGE_STORE_PROPERTY);
    }

    /** {@code microvm.sandbox.templates}: {@code true} (default) restores sandboxes from saved guests. */
    static boolean templatesEnabled() {
        return onUnlessFalse(TEMPLATES_PROPERTY);
    }

    /** A switch that is on unless the system property says {@code false}. */
    private static boolean onUnlessFalse(String property) {
        return !"false".equalsIgnoreCase(System.getProperty(property, "true").strip());
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }

    static Optional<String> findQemu() {
        String configured = System.getProperty("microvm.sandbox.qemu");
        if (configured != null && !configured.isBlank()) {
            return Files.isExecutable(Path.of(configured)) ? Optional.of(configured) : Optional.empty();
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir, QEMU);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate.toString());
            }
        }
        return Optional.empty();
    }
}
