package dev.microvmsandbox.backend.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.microvmsandbox.backend.Accelerator;
import dev.microvmsandbox.backend.AgentClasspath;
import dev.microvmsandbox.backend.SandboxConfig;
import dev.microvmsandbox.guestimage.GuestImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QemuCommandLineTest {

    @TempDir
    Path tmp;

    private GuestImage image;
    private AgentDisk agentDisk;
    private final AcceleratorProbe.Choice tcg = new AcceleratorProbe.Choice(Accelerator.TCG, "TCG for the test");
    private final SandboxConfig config = SandboxConfig.defaults().withMemory("1g");

    @BeforeEach
    void image() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("image"));
        StringBuilder files = new StringBuilder();
        for (String name : List.of("vmlinux", "initrd.img", "rootfs.ext4")) {
            Files.writeString(dir.resolve(name), name);
            files.append(files.length() == 0 ? "" : ",")
                    .append('"')
                    .append(name)
                    .append("\":{\"bytes\":")
                    .append(name.length())
                    .append(",\"sha256\":\"")
                    .append(dev.microvmsandbox.hostfs.ContentDigest.of(dir.resolve(name)))
                    .append("\"}");
        }
        Files.writeString(dir.resolve("manifest.json"), "{\"files\":{" + files + "}}");
        String before = System.getProperty("microvm.sandbox.image");
        System.setProperty("microvm.sandbox.image", dir.toString());
        try {
            image = GuestImage.resolve();
        } finally {
            if (before == null) {
                System.clearProperty("microvm.sandbox.image");
            } else {
                System.setProperty("microvm.sandbox.image", before);
            }
        }
        agentDisk = AgentDisk.forClasspath(tmp.resolve("cache"), AgentClasspath.entries());
    }

    private List<String> line(QemuCommandLine.Start start) {
        return QemuCommandLine.build(
                "qemu",
                tcg,
                config,
                image,
                tmp.resolve("run"),
                List.of(tmp.resolve("share")),
                Optional.of(agentDisk),
                Optional.empty(),
                start);
    }

    /** The device list: what a restore must match, by kind and order. */
    private static List<String> devices(List<String> args) {
        List<String> devices = new ArrayList<>();
        for (int i = 0; i < args.size() - 1; i++) {
            if (args.get(i).equals("-device")) {
                devices.add(args.get(i + 1).replaceAll("=[^,]*/[^,]*", "=PATH"));
            }
        }
        return devices;
    }

    @Test
    void aCloneHasItsTemplatesMachineDevicesAndKernel() {
        List<String> template =
                line(new QemuCommandLine.Start.ForTemplate(tmp.resolve("t/memory"), tmp.resolve("t/scratch")));
        List<String> clone = line(new QemuCommandLine.Start.Restore(tmp.resolve("t/memory"), tmp.resolve("t/scratch")));

        assertThat(devices(clone)).isEqualTo(devices(template)).isNotEmpty();
        assertThat(clone.get(clone.indexOf("-append") + 1)).isEqualTo(template.get(template.indexOf("-append") + 1));
        assertThat(clone.get(clone.indexOf("-M") + 1)).isEqualTo("microvm,memory-backend=ram");
        assertThat(template.get(template.indexOf("-M") + 1)).isEqualTo("microvm,memory-backend=ram");
    }

    @Test
    void aCloneMapsTheTemplatesMemoryPrivatelyAndWritesItsDiskToAnOverlay() {
        List<String> template =
                line(new QemuCommandLine.Start.ForTemplate(tmp.resolve("t/memory"), tmp.resolve("t/scratch")));
        List<String> clone = line(new QemuCommandLine.Start.Restore(tmp.resolve("t/memory"), tmp.resolve("t/scratch")));

        assertThat(template).anyMatch(a -> a.startsWith("memory-backend-file,") && a.endsWith("share=on"));
        assertThat(clone).anyMatch(a -> a.startsWith("memory-backend-file,") && a.endsWith("share=off"));
        assertThat(clone).anyMatch(a -> a.startsWith("id=scratch,") && a.contains("snapshot=on"));
        assertThat(template).noneMatch(a -> a.contains("snapshot=on"));
        assertThat(String.join(" ", clone)).contains("-incoming defer");
        assertThat(String.join(" ", template)).doesNotContain("-incoming");
        // no device of either may discard into the shared memory file
        assertThat(clone).noneMatch(a -> a.contains("balloon"));
        assertThat(template).noneMatch(a -> a.contains("balloon"));
    }

    @Test
    void aBootNeedsNoMonitorAndKeepsItsMemoryAnonymous() {
        List<String> boot = line(new QemuCommandLine.Start.Boot());
        assertThat(boot).noneMatch(a -> a.contains("memory-backend"));
        assertThat(boot).doesNotContain("-qmp", "-incoming");
        assertThat(boot).anyMatch(a -> a.startsWith("id=agent,") && a.contains("readonly=on"));
    }

    @Test
    void aBootReportsTheMemoryItsGuestFreed() {
        List<String> boot = line(new QemuCommandLine.Start.Boot());
        assertThat(boot.get(boot.indexOf(QemuCommandLine.BALLOON) - 1)).isEqualTo("-device");
        assertThat(QemuCommandLine.BALLOON).contains("free-page-reporting=on");
        assertThat(boot.get(boot.indexOf("-append") + 1)).contains("page_reporting.page_reporting_order=4");
    }

    @Test
    void quotesMigrationPathsForTheShell() {
        assertThat(QemuVm.shellQuote("/a b/it's")).isEqualTo("'/a b/it'\\''s'");
    }
}
