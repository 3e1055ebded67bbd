package dev.microvmsandbox.backend.kata;

import static org.assertj.core.api.Assertions.assertThat;

import dev.microvmsandbox.backend.Command;
import dev.microvmsandbox.backend.CommandResult;
import dev.microvmsandbox.backend.Mount;
import dev.microvmsandbox.backend.Sandbox;
import dev.microvmsandbox.backend.SandboxConfig;
import dev.microvmsandbox.backend.qemu.QemuBackend;
import dev.microvmsandbox.fixtures.HostMarker;
import dev.microvmsandbox.guestimage.GuestImage;
import dev.microvmsandbox.guestimage.SandboxImageArchive;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.EngineFilter;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

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
 * ({@code NestedContainerFixture}). The test fails when any of them fails. Two classes with every
 * outcome a test can have run there too, and their events must equal those of the same classes run
 * under QEMU on this host.
 *
 * <p>The longest class of the suite (about 8 minutes under TCG here once the sandbox image archive
 * and its image store are cached, 4-5 more the first time): it runs first, alongside the others.
 */
class RecipeProofIT {

    private static final List<String> PROOF = List.of(
            "cgroupDelegationShowsCpuIoMemoryPids()",
            "aNestedPodmanRunPrintsItsOutput()",
            "podmanBuildWithChrootIsolationBuildsAnImageThatThenRuns()",
            "servesAPageFromANestedContainer()");

    /** Classes with every outcome, run through kata-docker in the guest and through QEMU here. */
    private static final List<String> MIRRORED = List.of(
            "dev.microvmsandbox.fixtures.GuestBehaviourFixture", "dev.microvmsandbox.fixtures.BeforeAllFailureFixture");

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

        List<String> kata;
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
                    + " dev.microvmsandbox.fixtures.NestedContainerFixture"
                    + " " + String.join(" ", MIRRORED);
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
            kata = r.stdout()
                    .lines()
                    .filter(l -> l.startsWith(NestedRun.EVENT))
                    .map(l -> l.substring(NestedRun.EVENT.length()))
                    .toList();
        }

        // the same classes under QEMU on this host: kata-docker must report them event by event alike
        Path markers = Files.createTempDirectory("msb-markers-");
        Transcript qemu = new Transcript();
        System.setProperty(HostMarker.PROPERTY, markers.toString());
        try {
            LauncherDiscoveryRequestBuilder request = LauncherDiscoveryRequestBuilder.request()
                    .filters(EngineFilter.includeEngines("microvm-sandbox"))
                    .configurationParameter("microvm.sandbox.backend", "qemu");
            MIRRORED.forEach(c -> request.selectors(DiscoverySelectors.selectClass(c)));
            LauncherFactory.create().execute(request.build(), qemu);
        } finally {
            System.clearProperty(HostMarker.PROPERTY);
        }
        for (String c : MIRRORED) {
            List<String> underKata = Transcript.of(c, kata);
            System.out.println("kata-docker events of " + c + ":\n  " + String.join("\n  ", underKata));
            assertThat(underKata).as("events of %s", c).isNotEmpty().isEqualTo(Transcript.of(c, qemu.lines()));
        }
        assertThat(Transcript.of(MIRRORED.get(0), kata))
                .as("the outcomes the mirror must carry")
                .anyMatch(l -> l.contains("failsWithDiff()") && l.contains("| FAILED |") && l.contains("expected"))
                .anyMatch(l -> l.contains("abortedByAssumption()") && l.contains("| ABORTED |"))
                .anyMatch(l -> l.startsWith("SKIPPED ") && l.contains("not today"));
        try (Stream<Path> files = Files.list(markers)) {
            assertThat(files).as("fixture code that ran on the host").isEmpty();
        }
        Files.delete(markers);
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
