package dev.microvmsandbox.backend.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.microvmsandbox.backend.Accelerator;
import dev.microvmsandbox.backend.SandboxConfig;
import dev.microvmsandbox.guestimage.GuestImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What makes a template key: the files a saved guest has open must be the ones a clone gets. */
class TemplateKeyTest {

    @TempDir
    Path tmp;

    @Test
    void anAgentDiskMadeAgainIsANewKeyAndAUseOfTheSameDiskIsNot() throws Exception {
        Optional<GuestImage> image = GuestImage.findBuilt();
        assumeTrue(image.isPresent(), "no guest image is built on this host (sandbox-image/install-host.sh builds it)");
        Path cache = tmp.resolve("cache");
        Path jar = Files.writeString(tmp.resolve("agent.jar"), "not really a jar");
        AcceleratorProbe.Choice tcg = new AcceleratorProbe.Choice(Accelerator.TCG, "TCG for this test");
        SandboxConfig config = SandboxConfig.defaults();
        String qemu = Files.writeString(tmp.resolve("qemu"), "a qemu binary").toString();

        AgentDisk disk = AgentDisk.forClasspath(cache, List.of(jar));
        Files.setLastModifiedTime(disk.file(), FileTime.fromMillis(System.currentTimeMillis() - 3_600_000L));
        TemplateKey made = TemplateKey.of(qemu, tcg, config, image.get(), disk, Optional.empty());
        TemplateKey usedAgain = TemplateKey.of(
                qemu, tcg, config, image.get(), AgentDisk.forClasspath(cache, List.of(jar)), Optional.empty());
        Files.delete(disk.file());
        AgentDisk remade = AgentDisk.forClasspath(cache, List.of(jar));
        TemplateKey afterRemaking = TemplateKey.of(qemu, tcg, config, image.get(), remade, Optional.empty());

        assertThat(remade.digest()).isEqualTo(disk.digest());
        assertThat(usedAgain.hash()).isEqualTo(made.hash());
        assertThat(afterRemaking.hash()).isNotEqualTo(made.hash());
    }
}
