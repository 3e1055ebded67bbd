package dev.microvmsandbox.backend.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.microvmsandbox.WaitBounds;
import dev.microvmsandbox.backend.Command;
import dev.microvmsandbox.backend.Sandbox;
import dev.microvmsandbox.backend.SandboxException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A guest that stops on its own, seen from a command in flight: the command fails with the cause
 * decided from everything the guest said (its console read to its end, qemu's exit, the channel's
 * end), whichever of them reached the host first.
 */
class StopCauseIT {

    private static Sandbox boot() {
        return QemuBackend.create()
                .start(WaitBounds.sandboxConfig().withMemory("512m").withCpus(1));
    }

    /** Runs {@code script}, which stops the guest, and returns the message the command fails with. */
    private static void assertStopsWith(String script, String cause) {
        try (Sandbox sandbox = boot()) {
            assertThatThrownBy(() ->
                            sandbox.exec(Command.shell(script).withTimeout(WaitBounds.scaled(Duration.ofMinutes(2)))))
                    .isInstanceOf(SandboxException.class)
                    .hasMessage("sandbox " + sandbox.id() + " failed: " + cause);
            assertThat(sandbox.deathCause()).contains(cause);
        }
    }

    @Test
    void theTestJvmKilledIsNamedWithItsExitStatus() {
        // the command's parent is the guest agent's JVM; its init prints the status and powers off
        assertStopsWith(
                "kill -9 $PPID; sleep 600",
                "the VM stopped: the guest's test JVM exited with status 137 "
                        + "(System.exit, Runtime.halt or a JVM crash in the guest) (qemu exit code 0)");
    }

    @Test
    void aKernelCrashIsNamedAsOne() {
        assertStopsWith(
                "echo 1 > /proc/sys/kernel/sysrq; echo c > /proc/sysrq-trigger; sleep 600",
                "the VM stopped: the guest kernel crashed (qemu exit code 0)");
    }

    @Test
    void aGuestThatPowersItselfOffSaysSo() {
        assertStopsWith("busybox reboot -f; sleep 600", "the VM stopped: the guest powered off (qemu exit code 0)");
    }
}
