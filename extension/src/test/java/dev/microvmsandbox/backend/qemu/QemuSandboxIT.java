package dev.microvmsandbox.backend.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.microvmsandbox.WaitBounds;
import dev.microvmsandbox.backend.Command;
import dev.microvmsandbox.backend.CommandResult;
import dev.microvmsandbox.backend.Mount;
import dev.microvmsandbox.backend.Sandbox;
import dev.microvmsandbox.guestimage.GuestImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Boots one real VM and checks what the guest gives: kernel, exit codes, output, podman, files. */
class QemuSandboxIT {

    private static Sandbox sandbox;
    private static Path shared;
    private static Path hostTree;

    @BeforeAll
    static void boot(@TempDir Path tmp) throws IOException {
        shared = Files.createDirectories(tmp.resolve("shared"));
        Files.writeString(shared.resolve("hello.txt"), "from the host");
        hostTree = Files.createDirectories(tmp.resolve("host tree"));
        Files.createDirectories(hostTree.resolve("classes/pkg"));
        Files.writeString(hostTree.resolve("classes/pkg/A.class"), "class bytes");
        Files.writeString(hostTree.resolve("lib.jar"), "jar bytes");
        Files.writeString(hostTree.resolve("not-listed.txt"), "stays on the host");
        sandbox = QemuBackend.create()
                .start(WaitBounds.sandboxConfig()
                        .withMemory("2g")
                        .withEnv("GREETING", "hi")
                        .withPids(3000)
                        .withMounts(List.of(new Mount(shared, "/mnt/shared")))
                        .withHostPaths(List.of(hostTree.resolve("classes"), hostTree.resolve("lib.jar")))
                        .withTimeout(WaitBounds.scaled(Duration.ofMinutes(20))));
    }

    @AfterAll
    static void destroy() {
        if (sandbox != null) {
            sandbox.close();
        }
    }

    private static CommandResult sh(String script) {
        return sandbox.exec(Command.shell(script).withTimeout(WaitBounds.scaled(Duration.ofMinutes(5))));
    }

    @Test
    void runsTheGuestKernelNotTheHosts() throws IOException, InterruptedException {
        CommandResult r = sandbox.exec(Command.of("uname", "-r"));
        Process host = new ProcessBuilder("uname", "-r").start();
        String hostKernel = new String(host.getInputStream().readAllBytes()).strip();
        assertThat(r.exitCode()).isZero();
        assertThat(r.stdout().strip()).isNotEmpty().isNotEqualTo(hostKernel);
    }

    @Test
    void takesItsThreadLimit() {
        assertThat(sh("cat /proc/sys/kernel/threads-max").stdout().strip()).isEqualTo("3000");
    }

    @Test
    void propagatesExitCodes() {
        assertThat(sh("exit 0").exitCode()).isZero();
        assertThat(sh("exit 1").exitCode()).isEqualTo(1);
        assertThat(sh("kill -9 $$").exitCode()).isEqualTo(137);
    }

    @Test
    void deliversLargeOutputWhole() {
        CommandResult r = sh("head -c 4194304 /dev/zero | tr '\\0' a; head -c 1048576 /dev/zero | tr '\\0' b >&2");
        assertThat(r.stdout()).hasSize(4 * 1024 * 1024).matches("a+");
        assertThat(r.stderr()).hasSize(1024 * 1024).matches("b+");
        assertThat(r.outputTruncated()).isFalse();
    }

    @Test
    void passesOnlyTheConfiguredEnvironment() {
        CommandResult r = sh("echo \"$GREETING\"; env | cut -d= -f1 | sort | tr '\\n' ' '");
        assertThat(r.stdout()).startsWith("hi\n");
        assertThat(r.stdout())
                .doesNotContain("MAVEN")
                .doesNotContain("JAVA_HOME")
                .doesNotContain("USER=");
    }

    @Test
    void killsACommandPastItsTimeout() {
        CommandResult r = sandbox.exec(Command.of("sleep", "600").withTimeout(Duration.ofSeconds(3)));
        assertThat(r.timedOut()).isTrue();
        assertThat(r.exitCode()).isEqualTo(137);
    }

    @Test
    void podmanRunsWithCrunCgroupfsAndOverlay() {
        CommandResult r = sh(
                "podman info --format '{{.Host.OCIRuntime.Name}} {{.Host.CgroupManager}} {{.Store.GraphDriverName}}'");
        assertThat(r.stdout().strip()).isEqualTo("crun cgroupfs overlay");
    }

    @Test
    void delegatesCgroupControllers() {
        CommandResult r = sh("cat /sys/fs/cgroup/cgroup.subtree_control");
        assertThat(r.stdout().split("\\s+")).contains("cpu", "io", "memory", "pids");
    }

    @Test
    void runsAndBuildsContainers() {
        Path busybox = GuestImage.resolve().testImages().resolve("busybox.tar");
        sandbox.copyIn(busybox, "/tmp/busybox.tar", 0644);
        CommandResult load = sh("podman load -q -i /tmp/busybox.tar");
        assertThat(load.exitCode()).as(load.stderr()).isZero();
        CommandResult run = sh("podman run --rm localhost/microvm-sandbox/busybox echo RUN_OK");
        assertThat(run.stdout()).as(run.stderr()).contains("RUN_OK");
        CommandResult build = sh(
                "mkdir -p /tmp/ctx && printf 'FROM localhost/microvm-sandbox/busybox\\nRUN echo BUILD_OK > /built\\n' > /tmp/ctx/Containerfile"
                        + " && podman build -q --isolation=chroot -t localhost/built /tmp/ctx >/dev/null && podman run --rm localhost/built cat /built");
        assertThat(build.stdout()).as(build.stderr()).contains("BUILD_OK");
    }

    @Test
    void copiesFilesInAndOut(@TempDir Path tmp) throws IOException {
        Path in = tmp.resolve("in.bin");
        byte[] content = new byte[3 * 1024 * 1024 + 17];
        new java.util.Random(7).nextBytes(content);
        Files.write(in, content);
        sandbox.copyIn(in, "/tmp/copied/in.bin", 0600);
        assertThat(sh("stat -c %a /tmp/copied/in.bin").stdout().strip()).isEqualTo("600");
        Path out = tmp.resolve("out.bin");
        long n = sandbox.copyOut("/tmp/copied/in.bin", out, 16 * 1024 * 1024);
        assertThat(n).isEqualTo(content.length);
        assertThat(Files.readAllBytes(out)).isEqualTo(content);
    }

    @Test
    void sharesHostFoldersReadOnly() {
        assertThat(sh("cat /mnt/shared/hello.txt").stdout()).isEqualTo("from the host");
        CommandResult write = sh("echo x > /mnt/shared/new.txt");
        assertThat(write.exitCode()).isNotZero();
        assertThat(Files.exists(shared.resolve("new.txt"))).isFalse();
    }

    @Test
    void hasNoNetworkInterfaceButLoopback() {
        CommandResult r = sh("ls /sys/class/net");
        assertThat(r.stdout().strip()).isEqualTo("lo");
    }

    @Test
    void showsHostPathsReadOnlyWhereTheHostHasThem() {
        String classFile = hostTree.resolve("classes/pkg/A.class").toString();
        String jar = hostTree.resolve("lib.jar").toString();
        assertThat(sh("cat '" + classFile + "'; echo; cat '" + jar + "'").stdout())
                .isEqualTo("class bytes\njar bytes");
        assertThat(sh("test -e '" + hostTree.resolve("not-listed.txt") + "'").exitCode())
                .as("a file of the same folder that was not asked for")
                .isNotZero();
        assertThat(sh("echo x >> '" + jar + "'").exitCode()).isNotZero();
        assertThat(sh("echo x > '" + hostTree.resolve("classes/pkg/B.class") + "'")
                        .exitCode())
                .as("the folders on the way are the guest's own")
                .isZero();
        assertThat(hostTree.resolve("classes/pkg/B.class")).doesNotExist();
        assertThat(hostTree.resolve("lib.jar")).hasContent("jar bytes");
    }

    @Test
    void relaysStdinAndRawOutputByteForByte() {
        byte[] input = new byte[3 << 20];
        for (int i = 0; i < input.length; i++) {
            input[i] = (byte) (i * 31 + (i >> 11));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CommandResult r = sandbox.exec(Command.of("cat")
                .withStdin(new ByteArrayInputStream(input))
                .withStdoutTo(out)
                .withTimeout(Duration.ofMinutes(5)));
        assertThat(r.exitCode()).isZero();
        assertThat(r.stdout()).isEmpty();
        assertThat(out.toByteArray()).isEqualTo(input);
    }

    @Test
    void killsACommandWithStdinPastItsTimeout() {
        // a command fed from the host's stdin (a Surefire fork) must be killable like any other
        PipedOutputStream keepOpen = new PipedOutputStream();
        CommandResult r;
        try (PipedInputStream stdin = new PipedInputStream(keepOpen)) {
            r = sandbox.exec(Command.of("sh", "-c", "while :; do :; done")
                    .withStdin(stdin)
                    .withTimeout(Duration.ofSeconds(3)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertThat(r.timedOut()).isTrue();
        assertThat(r.exitCode()).isEqualTo(137);
    }

    @Test
    void aCommandWithoutStdinReadsNothing() {
        assertThat(sh("wc -c").stdout().strip()).isEqualTo("0");
    }
}
