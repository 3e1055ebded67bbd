package dev.microvmsandbox.backend.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.abort;

import dev.microvmsandbox.WaitBounds;
import dev.microvmsandbox.backend.Command;
import dev.microvmsandbox.backend.CommandResult;
import dev.microvmsandbox.backend.Sandbox;
import dev.microvmsandbox.backend.SandboxException;
import dev.microvmsandbox.backend.TimeLimit;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Limits that need a VM of their own: memory, the sandbox timeout, and death with the host JVM. */
class SandboxLimitsIT {

    @Test
    void aVmGiven512MiBCannotUseMore() {
        try (Sandbox sandbox =
                QemuBackend.create().start(WaitBounds.sandboxConfig().withMemory("512m"))) {
            CommandResult total = sandbox.exec(Command.shell("awk '/MemTotal/ {print $2}' /proc/meminfo"));
            assertThat(Long.parseLong(total.stdout().strip())).isLessThanOrEqualTo(512 * 1024);
            // awk doubles a string until memory runs out; it volunteers to be the OOM killer's victim
            CommandResult hog = sandbox.exec(Command.shell("echo 1000 > /proc/self/oom_score_adj; "
                            + "awk 'BEGIN { s = \"x\"; for (i = 0; i < 40; i++) s = s s; print length(s) }'")
                    .withTimeout(WaitBounds.scaled(Duration.ofMinutes(5))));
            assertThat(hog.exitCode())
                    .as("a 1 TiB string cannot fit in 512 MiB: %s", hog)
                    .isNotZero();
            assertThat(hog.stdout()).doesNotContain("1099511627776");
            assertThat(sandbox.exec(Command.of("true")).exitCode())
                    .as("the guest survives the OOM kill")
                    .isZero();
        }
    }

    @Test
    void theSandboxTimeoutDestroysTheVmAndSaysSo() {
        // the limit counts from the start, boot included; it must leave the command time to start
        Duration limit = WaitBounds.scaled(Duration.ofSeconds(90));
        String named = "the sandbox's timeout of " + TimeLimit.format(limit) + " passed";
        Sandbox sandbox;
        try {
            sandbox = QemuBackend.create()
                    .start(WaitBounds.sandboxConfig().withMemory("1g").withTimeout(limit));
        } catch (SandboxException bootOutlived) {
            assertThat(bootOutlived).hasMessageContaining("failed to boot: " + named);
            abort("the boot took longer than the timeout of " + TimeLimit.format(limit)
                    + ", which killed it and said so; raise " + WaitBounds.PROPERTY + " to test a running command");
            return;
        }
        try {
            assertThatThrownBy(() -> sandbox.exec(Command.of("sleep", "600").withTimeout(limit.multipliedBy(4))))
                    .isInstanceOf(SandboxException.class)
                    .hasMessage("sandbox " + sandbox.id() + " failed: " + named);
            assertThat(sandbox.deathCause()).contains(named);
        } finally {
            sandbox.close();
        }
    }

    @Test
    void qemuKilledMidCommandFailsTheCommandWithTheCause() throws Exception {
        QemuVm sandbox =
                (QemuVm) QemuBackend.create().start(WaitBounds.sandboxConfig().withMemory("512m"));
        try {
            java.util.concurrent.CountDownLatch running = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CompletableFuture<Throwable> failure =
                    java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                        try {
                            sandbox.exec(Command.shell("echo running; exec sleep 600")
                                    .withStdoutListener(text -> running.countDown()));
                            return null;
                        } catch (RuntimeException e) {
                            return e;
                        }
                    });
            assertThat(running.await(WaitBounds.HOST_STEP.toMillis(), TimeUnit.MILLISECONDS))
                    .as("the command runs in the guest")
                    .isTrue();
            sandbox.qemuProcess().destroyForcibly();
            Throwable t = failure.get(WaitBounds.HOST_STEP.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(t)
                    .isInstanceOf(SandboxException.class)
                    .hasMessage("sandbox " + sandbox.id() + " failed: the VM stopped: qemu was killed by signal 9, "
                            + "not by this sandbox (qemu exit code 137)");
        } finally {
            sandbox.close();
        }
    }

    @Test
    void severalSandboxesRunAtOnce() throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            List<java.util.concurrent.Future<String>> bootIds = new java.util.ArrayList<>();
            for (int i = 0; i < 2; i++) {
                bootIds.add(pool.submit(() -> {
                    try (Sandbox sandbox = QemuBackend.create()
                            .start(WaitBounds.sandboxConfig().withMemory("512m").withCpus(1))) {
                        return sandbox.exec(Command.of("cat", "/proc/sys/kernel/random/boot_id"))
                                .stdout()
                                .strip();
                    }
                }));
            }
            long bound = WaitBounds.BOOT.multipliedBy(2).toMillis();
            String first = bootIds.get(0).get(bound, TimeUnit.MILLISECONDS);
            String second = bootIds.get(1).get(bound, TimeUnit.MILLISECONDS);
            assertThat(first).isNotBlank().isNotEqualTo(second);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void noQemuSurvivesTheHostJvmKilledWithSigkill() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(
                        java,
                        "-cp",
                        System.getProperty("java.class.path"),
                        "-Dmicrovm.sandbox.repo=" + System.getProperty("microvm.sandbox.repo", ""),
                        "-Dmicrovm.sandbox.qemu=" + System.getProperty("microvm.sandbox.qemu", ""),
                        "-D" + WaitBounds.PROPERTY + "=" + WaitBounds.scale(),
                        BootAndWait.class.getName())
                .redirectErrorStream(true)
                .start();
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream()));
        String runDir = null;
        String line;
        while ((line = out.readLine()) != null) {
            if (line.startsWith("RUNDIR ")) {
                runDir = line.substring(7);
                break;
            }
        }
        assertThat(runDir).as("the child booted a sandbox").isNotNull();
        Path dir = Path.of(runDir);
        long qemuPid = Long.parseLong(
                Files.readString(dir.resolve(RunDirectory.QEMU_PID)).trim());
        assertThat(ProcessHandle.of(qemuPid)).isPresent();

        new ProcessBuilder("kill", "-KILL", Long.toString(child.pid())).start().waitFor();
        child.waitFor(WaitBounds.HOST_STEP.toMillis(), TimeUnit.MILLISECONDS);
        await().atMost(WaitBounds.HOST_STEP)
                .until(() -> ProcessHandle.of(qemuPid).map(p -> !p.isAlive()).orElse(true));

        // the next start cleans what the dead JVM left behind
        RunDirectory.cleanUpAfterDeadOwners();
        assertThat(Files.exists(dir)).isFalse();
    }

    /** Run in a child JVM: boots a sandbox, prints its run folder, then waits to be killed. */
    public static final class BootAndWait {
        public static void main(String[] args) throws InterruptedException, IOException {
            Sandbox sandbox =
                    QemuBackend.create().start(WaitBounds.sandboxConfig().withMemory("512m"));
            try (var dirs = Files.list(RunDirectory.base())) {
                List<Path> mine = dirs.filter(d -> d.getFileName()
                                .toString()
                                .startsWith("vm-" + ProcessHandle.current().pid() + "-"))
                        .toList();
                System.out.println("RUNDIR " + mine.get(0));
            }
            System.out.flush();
            Thread.sleep(600_000);
            sandbox.close();
        }
    }
}
