package dev.microvmsandbox.backend.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class GuestStopTest {

    @Test
    void namesAKernelCrash() {
        assertThat(GuestStop.explain(
                        0, "[ 12.1] sysrq: Trigger a crash\n[ 12.1] Kernel panic - not syncing: sysrq triggered crash"))
                .startsWith("the VM stopped: the guest kernel crashed");
    }

    @Test
    void namesAKernelCrashFromTheEndOfItsDump() {
        assertThat(GuestStop.explain(0, "[ 13.07]  </TASK>\n[ 13.07] Kernel Offset: disabled"))
                .startsWith("the VM stopped: the guest kernel crashed");
    }

    @Test
    void namesTheTestJvmsExitStatus() {
        assertThat(GuestStop.explain(0, "msb: MSB-AGENT-EXIT 3\nreboot: Restarting system"))
                .contains("test JVM exited with status 3")
                .contains("System.exit");
    }

    @Test
    void namesABootFailure() {
        assertThat(GuestStop.explain(0, "MSB-FAIL initramfs: no /dev/vda (root image)"))
                .contains("failed to start: initramfs: no /dev/vda (root image)");
    }

    @Test
    void saysLittleWhenItKnowsLittle() {
        assertThat(GuestStop.explain(1, "")).isEqualTo("the VM stopped (qemu exit code 1)");
    }
}
