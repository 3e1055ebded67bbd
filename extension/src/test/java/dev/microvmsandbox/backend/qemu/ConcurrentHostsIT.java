package dev.microvmsandbox.backend.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.microvmsandbox.WaitBounds;
import dev.microvmsandbox.cli.CliProcess;
import dev.microvmsandbox.guestimage.GuestImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two builds on one host at once: separate JVMs, each running {@code SandboxCli run}, share
 * nothing they could trample: not each other's VMs and run folders, not the image build.
 */
class ConcurrentHostsIT {

    private static final Duration BOOT_AND_RUN = WaitBounds.scaled(Duration.ofMinutes(8));
    /** A sandbox's own limit, far beyond what A waits for: B's whole run. */
    private static final String SANDBOX_TIMEOUT =
            WaitBounds.scaled(Duration.ofMinutes(15)).toMinutes() + "m";

    private static CliProcess run(Map<String, String> env, String... command) throws IOException {
        List<String> args = new java.util.ArrayList<>(List.of(
                "run",
                "--memory",
                "512m",
                "--cpus",
                "1",
                "--timeout",
                SANDBOX_TIMEOUT,
                "--boot-timeout",
                WaitBounds.bootTimeout()));
        args.addAll(List.of(command));
        return CliProcess.start(env, args.toArray(String[]::new));
    }

    /** Run folders of the given JVM. */
    private static List<Path> runFolders(long pid) throws IOException {
        if (!Files.isDirectory(RunDirectory.base())) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(RunDirectory.base())) {
            return dirs.filter(d -> d.getFileName().toString().startsWith("vm-" + pid + "-"))
                    .toList();
        }
    }

    /** qemu processes started for the given JVM's run folders (their command lines name them). */
    private static List<ProcessHandle> qemusOf(long pid) {
        String folder = RunDirectory.base().resolve("vm-" + pid + "-").toString();
        return ProcessHandle.allProcesses()
                .filter(p -> p.info()
                        .commandLine()
                        .map(c -> c.contains("qemu") && c.contains(folder))
                        .orElse(false))
                .toList();
    }

    /** Called after the JVMs ended; a qemu killed with its JVM may take a moment to be reaped. */
    private static void assertNothingLeftOf(CliProcess... processes) {
        await().atMost(WaitBounds.HOST_STEP).untilAsserted(() -> {
            for (CliProcess p : processes) {
                assertThat(runFolders(p.pid()))
                        .as("run folders of JVM %d", p.pid())
                        .isEmpty();
                assertThat(qemusOf(p.pid()))
                        .as("qemu processes of JVM %d", p.pid())
                        .isEmpty();
            }
        });
    }

    @Test
    void aJvmStartingWhileAnotherOnesVmRunsLeavesThatVmAlone(@TempDir Path gate) throws Exception {
        // a run folder a killed JVM left: the second JVM's start-up cleanup must remove this one only
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Path stale = Files.createDirectories(RunDirectory.base().resolve("vm-" + gone.pid() + "-1"));
        Files.writeString(stale.resolve("owner"), gone.pid() + " 1 1");

        String tokenA = "token-a-" + UUID.randomUUID();
        String tokenB = "token-b-" + UUID.randomUUID();
        // A prints its token, then keeps its VM up until the test opens the gate (a read-only share)
        try (CliProcess a = run(
                Map.of(),
                "--mount",
                gate + ":/gate",
                "--",
                "sh",
                "-c",
                "echo " + tokenA + "; while [ ! -e /gate/open ]; do sleep 0.2; done; echo a-done")) {
            await().atMost(BOOT_AND_RUN).until(() -> a.stdout().contains(tokenA) || !a.isAlive());
            assertThat(a.isAlive()).as("A runs its command: %s", a.stderr()).isTrue();
            List<Path> foldersOfA = runFolders(a.pid());
            assertThat(foldersOfA).hasSize(1);
            List<ProcessHandle> qemuOfA = qemusOf(a.pid());
            assertThat(qemuOfA).hasSize(1);

            try (CliProcess b = run(Map.of(), "--", "sh", "-c", "echo " + tokenB)) {
                assertThat(b.exitCode(BOOT_AND_RUN)).as("B: %s", b.stderr()).isZero();
                assertThat(b.stdout()).contains(tokenB).doesNotContain(tokenA);
                assertThat(stale).as("B cleaned up after the dead JVM").doesNotExist();
                assertThat(qemuOfA.get(0).isAlive())
                        .as("A's qemu after B started and ended")
                        .isTrue();
                assertThat(foldersOfA.get(0)).exists();
                assertNothingLeftOf(b);
            }

            Files.writeString(gate.resolve("open"), "");
            assertThat(a.exitCode(BOOT_AND_RUN)).as("A: %s", a.stderr()).isZero();
            assertThat(a.stdout()).contains(tokenA).contains("a-done").doesNotContain(tokenB);
            assertNothingLeftOf(a);
        }
    }

    @Test
    void twoJvmsNeedingTheImageAtOnceWithAnEmptyCacheBuildItOnce(@TempDir Path cache) throws Exception {
        Map<String, String> env = Map.of("MICROVM_SANDBOX_CACHE", cache.toString());
        String token1 = "token-1-" + UUID.randomUUID();
        String token2 = "token-2-" + UUID.randomUUID();
        try (CliProcess first = run(env, "--", "echo", token1);
                CliProcess second = run(env, "--", "echo", token2)) {
            assertThat(first.exitCode(WaitBounds.IMAGE_BUILD_AND_BOOT))
                    .as("first: %s", first.stderr())
                    .isZero();
            assertThat(second.exitCode(WaitBounds.IMAGE_BUILD_AND_BOOT))
                    .as("second: %s", second.stderr())
                    .isZero();
            assertThat(first.stdout()).contains(token1).doesNotContain(token2);
            assertThat(second.stdout()).contains(token2).doesNotContain(token1);

            // one built; the other waited on the lock and found the image published
            assertThat(Stream.of(first, second)
                            .filter(p -> p.stderr().contains("mmdebstrap done"))
                            .count())
                    .isEqualTo(1);
            assertNothingLeftOf(first, second);
        }
        Path image;
        try (Stream<Path> guests = Files.list(cache.resolve("guest"))) {
            List<Path> all = guests.toList();
            assertThat(all).as("one image, nothing partial").hasSize(1);
            image = all.get(0);
        }
        assertThat(image.getFileName())
                .isEqualTo(GuestImage.resolve().directory().getFileName());
        try (CliProcess verify = CliProcess.start(env, "image", "--verify")) {
            assertThat(verify.exitCode(WaitBounds.scaled(Duration.ofMinutes(2))))
                    .as(verify.stderr())
                    .isZero();
            assertThat(verify.stdout().strip()).isEqualTo(image.toString());
        }
    }
}
