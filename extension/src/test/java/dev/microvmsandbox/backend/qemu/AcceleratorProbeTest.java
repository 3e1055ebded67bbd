package dev.microvmsandbox.backend.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.microvmsandbox.backend.Accelerator;
import dev.microvmsandbox.backend.SandboxException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AcceleratorProbeTest {

    @TempDir
    Path root;

    private AcceleratorProbe host(boolean kvmDevice, boolean pvm, String flags) throws IOException {
        Files.createDirectories(root.resolve("dev"));
        Files.createDirectories(root.resolve("proc"));
        if (kvmDevice) {
            Files.writeString(root.resolve("dev/kvm"), "");
        }
        if (pvm) {
            Files.createDirectories(root.resolve("sys/module/kvm_pvm"));
        }
        Files.writeString(root.resolve("proc/cpuinfo"), "processor : 0\nflags\t\t: fpu sse2 " + flags + "\n");
        return new AcceleratorProbe(root);
    }

    @Test
    void choosesKvmWhereUsable() throws IOException {
        AcceleratorProbe.Choice c = host(true, false, "vmx").choose(Accelerator.AUTO, false);
        assertThat(c.accelerator()).isEqualTo(Accelerator.KVM);
    }

    @Test
    void fallsBackToTcgOnAPvmHostAndSaysWhy() throws IOException {
        AcceleratorProbe.Choice c = host(true, true, "vmx").choose(Accelerator.AUTO, false);
        assertThat(c.accelerator()).isEqualTo(Accelerator.TCG);
        assertThat(c.reason()).contains("PVM");
    }

    @Test
    void fallsBackToTcgWithoutKvmDevice() throws IOException {
        assertThat(host(false, false, "vmx").choose(Accelerator.AUTO, false).reason())
                .contains("/dev/kvm does not exist");
    }

    @Test
    void fallsBackToTcgWithoutVirtualisationFlags() throws IOException {
        assertThat(host(true, false, "").choose(Accelerator.AUTO, false).accelerator())
                .isEqualTo(Accelerator.TCG);
    }

    @Test
    void askingForKvmWhereThereIsNoneNamesTheFix() throws IOException {
        AcceleratorProbe probe = host(true, true, "vmx");
        assertThatThrownBy(() -> probe.choose(Accelerator.KVM, false))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("KVM was asked for but is not usable")
                .hasMessageContaining("nested virtualisation");
    }

    @Test
    void strictSettingRefusesTcg() throws IOException {
        AcceleratorProbe probe = host(false, false, "");
        assertThatThrownBy(() -> probe.choose(Accelerator.AUTO, true))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("refusing")
                .hasMessageContaining("no security boundary");
    }

    @Test
    void forcedTcgIsHonoured() throws IOException {
        assertThat(host(true, false, "vmx").choose(Accelerator.TCG, false).accelerator())
                .isEqualTo(Accelerator.TCG);
    }
}
