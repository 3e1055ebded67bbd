package dev.microvmsandbox.backend.kata;

import static org.assertj.core.api.Assertions.assertThat;

import dev.microvmsandbox.backend.Command;
import dev.microvmsandbox.backend.CommandResult;
import dev.microvmsandbox.backend.Mount;
import dev.microvmsandbox.backend.Sandbox;
import dev.microvmsandbox.backend.SandboxConfig;
import dev.microvmsandbox.backend.qemu.QemuBackend;
import dev.microvmsandbox.guestimage.GuestImage;
import dev.microvmsandbox.guestimage.SandboxImageArchive;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The Kata recipe's container path, proven where a Kata pod would run it: inside a VM with its own
 * kernel, cgroup2 and podman. This host is cgroup v1 with a hybrid cgroup2 mount and cannot show
 * cgroup2 delegation itself; one of our own QEMU guests has the same shape as a Kata pod.
 *
 * <p>One VM boot. Inside it a test run of its own ({@link NestedRun}) uses the {@code kata-docker}
 * backend against the guest's podman (crun, no VM boundary allowed: the VM around it is the
 * boundary here), which runs the sandbox image as a non-privileged container with the recipe's
 * capabilities. In that container: cgroup delegation shows {@code cpu io memory pids}, a nested
 * {@code podman run} prints its output, {@code podman build --isolation=chroot} builds an image that
 * then runs ({@code RecipeProofFixture}), and a Testcontainers class starts a nested container
 * ({@code NestedContainerFixture}). The test fails when any of them fails.
 *
 * <p>The longest class of the suite (about 7 minutes under TCG here once the sandbox image archive
 * and its image store are cached, 4-5 more the first time): it runs first, alongside the others.
 */
class RecipeProofIT {

    private static final List<String> PROOF = List.of(
            "cgroupDelegationShowsCpuIoMemoryPids()",
            "aNestedPodmanRunPrintsItsOutput()",
            "podmanBuildWithChrootIsolationBuildsAnImageThatThenRuns()",
            "servesAPageFromANestedContainer()");

    @Test
    void theRecipesContainerPathRunsInsideAGuestWithItsOwnKernel() throws Exception {
        SandboxImageArchive archive = SandboxImageArchive.resolve();
        Path images = Files.createDirectories(Path.of("target/nested-images").toAbsolutePath());
        Files.copy(
                GuestImage.resolve().testImages().resolve("busybox.tar"),
                images.resolve("busybox.tar"),
                StandardCopyOption.REPLACE_EXISTING);
        SandboxConfig config = SandboxConfig.defaults()
                .withMemory("3g")
                .withCpus(2)
                .withTimeout(Duration.ofMinutes(45))
                .withClasspath(testClasspath())
                // the sandbox image in an image store, made once and cached by the archive's digest:
                // loading its 406 MiB into the guest's podman took 150-190 s of every run here
                .withImages(List.of(archive.archive()))
                .withMounts(List.of(
                        new Mount(archive.directory(), "/run/msb/oci"),
                        new Mount(images, "/run/msb/proj/target/nested-images")));

        long t0 = System.nanoTime();
        try (Sandbox vm = QemuBackend.create().start(config)) {
            System.out.println("guest ready in " + (System.nanoTime() - t0) / 1_000_000 + " ms: " + vm.acceleration());
            String script = "CP=$(sed -n '/^-cp$/{n;p;}' /run/msb/cp/agent.args) && cd /run/msb/proj && exec java"
                    + " -XX:+UseSerialGC -cp \"$CP\""
                    + " -Dmicrovm.sandbox.backend=kata-docker"
                    + " -Dmicrovm.sandbox.kata.dockerHost=unix:///run/podman/podman.sock"
                    + " -Dmicrovm.sandbox.kata.runtime=crun"
                    + " -Dmicrovm.sandbox.kata.allowNoVmBoundary=true"
                    + " -Dmicrovm.sandbox.kata.image=" + archive.imageName()
                    + " -Dmicrovm.sandbox.kata.imageArchive=/run/msb/oci/" + SandboxImageArchive.FILE
                    + " " + NestedRun.class.getName()
                    + " dev.microvmsandbox.fixtures.RecipeProofFixture"
                    + " dev.microvmsandbox.fixtures.NestedContainerFixture";
            CommandResult r = vm.exec(Command.shell(script)
                    .withTimeout(Duration.ofMinutes(40))
                    .withStdoutListener(System.out::print)
                    .withStderrListener(System.out::print));
            System.out.println("nested run took " + (System.nanoTime() - t0) / 1_000_000 + " ms from the boot");
            assertThat(r.exitCode())
                    .as("the nested run's exit code: %s", r.stdout())
                    .isZero();
            List<String> passed = r.stdout()
                    .lines()
                    .filter(l -> l.startsWith("RESULT SUCCESSFUL "))
                    .toList();
            for (String test : PROOF) {
                assertThat(passed).as("passed in the sandbox container").anyMatch(l -> l.contains(" " + test));
            }
            assertThat(r.stdout()).contains("cgroup.subtree_control: [");
        }
    }

    /** The test classpath, which holds this library's classes and the fixtures. */
    private static List<Path> testClasspath() {
        String surefire = System.getProperty("surefire.test.class.path");
        String text = surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path");
        return Arrays.stream(text.split(File.pathSeparator))
                .filter(s -> !s.isBlank())
                .map(Path::of)
                .filter(Files::exists)
                .toList();
    }
}
