package dev.microvmsandbox.backend.kata.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.HostConfig;
import dev.microvmsandbox.backend.Command;
import dev.microvmsandbox.backend.CommandResult;
import dev.microvmsandbox.backend.Sandbox;
import dev.microvmsandbox.backend.SandboxConfig;
import dev.microvmsandbox.backend.kata.ContainerRecipe;
import dev.microvmsandbox.backend.kata.RunOwner;
import dev.microvmsandbox.backend.kata.Transcript;
import dev.microvmsandbox.fixtures.HostMarker;
import dev.microvmsandbox.guestimage.GuestImage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.reporting.ReportEntry;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;
import org.junit.platform.testkit.engine.EventType;

/**
 * The {@code kata-docker} backend end to end against a real Docker Engine API: the host's own
 * podman ({@link HostPodman}, adjusted for this host's conditions), with crun as the runtime and
 * {@code microvm.sandbox.kata.allowNoVmBoundary=true}, because there is no Kata on the build
 * machine. Everything else is what a Kata node runs: the sandbox image built from this recipe,
 * non-privileged with the recipe's capabilities, its bootstrap, the guest agent over the attached
 * stdio, podman inside it, Testcontainers starting a nested container.
 */
class KataDockerIT {

    private static final String BEHAVIOUR = "dev.microvmsandbox.fixtures.GuestBehaviourFixture";
    private static final String BEFORE_ALL = "dev.microvmsandbox.fixtures.BeforeAllFailureFixture";
    private static final String NESTED = "dev.microvmsandbox.fixtures.NestedContainerFixture";

    @TempDir
    static Path markers;

    static HostPodman podman;
    static Map<String, String> settings;
    static Path runDir;

    @BeforeAll
    static void startEngine() throws Exception {
        runDir = Files.createTempDirectory("msb-kata-it-");
        podman = HostPodman.start(Path.of("target/host-podman/storage"), runDir);
        podman.adjustments().forEach(a -> System.out.println("host podman adjusted: " + a));
        settings = Map.of(
                "microvm.sandbox.backend", "kata-docker",
                "microvm.sandbox.kata.dockerHost", podman.endpoint(),
                "microvm.sandbox.kata.runtime", "crun",
                "microvm.sandbox.kata.allowNoVmBoundary", "true");
        Path images = Files.createDirectories(Path.of("target/nested-images"));
        Files.copy(
                GuestImage.resolve().testImages().resolve("busybox.tar"),
                images.resolve("busybox.tar"),
                StandardCopyOption.REPLACE_EXISTING);
    }

    @AfterAll
    static void stopEngine() throws Exception {
        if (podman != null) {
            podman.close();
        }
        if (runDir != null) {
            try (Stream<Path> files = Files.walk(runDir)) {
                files.sorted(java.util.Comparator.reverseOrder())
                        .map(Path::toFile)
                        .forEach(File::delete);
            }
        }
    }

    private static KataDockerBackend backend() {
        return KataDockerBackend.create(name -> Optional.ofNullable(settings.get(name)));
    }

    private static EngineExecutionResults run(Map<String, String> parameters, String... classes) {
        System.setProperty(HostMarker.PROPERTY, markers.toString());
        try {
            var request = EngineTestKit.engine("microvm-sandbox")
                    .selectors(Stream.of(classes)
                            .map(c -> selectClass(c))
                            .toArray(org.junit.platform.engine.DiscoverySelector[]::new));
            parameters.forEach(request::configurationParameter);
            return request.execute();
        } finally {
            System.clearProperty(HostMarker.PROPERTY);
        }
    }

    @Test
    void aSandboxedClassIsReportedExactlyAsUnderQemu() throws Exception {
        EngineExecutionResults kata = run(settings, BEHAVIOUR, BEFORE_ALL);
        EngineExecutionResults qemu = run(Map.of("microvm.sandbox.backend", "qemu"), BEHAVIOUR, BEFORE_ALL);

        List<String> kataEvents = transcript(kata);
        System.out.println("kata-docker events:\n  " + String.join("\n  ", kataEvents));
        assertThat(kataEvents).isEqualTo(transcript(qemu));
        kata.testEvents()
                .assertStatistics(
                        s -> s.started(14).skipped(1).succeeded(11).aborted(1).failed(2));
        try (Stream<Path> files = Files.list(markers)) {
            assertThat(files).as("fixture code that ran on the host").isEmpty();
        }
    }

    @Test
    void aNestedContainerStartsThroughTestcontainersInTheSandbox() {
        EngineExecutionResults results = run(settings, NESTED);
        results.allEvents().failed().stream()
                .forEach(e -> e.getPayload(TestExecutionResult.class)
                        .flatMap(TestExecutionResult::getThrowable)
                        .ifPresent(Throwable::printStackTrace));
        results.testEvents().assertStatistics(s -> s.started(1).succeeded(1));
    }

    @Test
    void theSandboxContainerHasTheRecipesSettingsAndNothingOfTheHost() throws Exception {
        SandboxConfig config = SandboxConfig.defaults()
                .withMemory("1g")
                .withCpus(1)
                .withPids(512)
                .withTimeout(Duration.ofMinutes(10));
        try (Sandbox sandbox = backend().start(config)) {
            assertThat(sandbox.acceleration()).contains("boundary: NONE, runtime crun");
            Container listed = DockerEngine.at(podman.endpoint()).managedContainers().stream()
                    .filter(c -> List.of(c.getNames()).contains("/" + sandbox.id()))
                    .findFirst()
                    .orElseThrow();
            InspectContainerResponse inspected = DockerEngine.at(podman.endpoint())
                    .calls()
                    .inspectContainerCmd(listed.getId())
                    .exec();
            HostConfig host = inspected.getHostConfig();
            assertThat(host.getPrivileged()).isFalse();
            assertThat(host.getCapAdd())
                    .extracting(Capability::name)
                    .containsExactlyInAnyOrderElementsOf(ContainerRecipe.CAPABILITIES);
            assertThat(host.getNetworkMode()).isEqualTo("none");
            assertThat(host.getMemory()).isEqualTo(1L << 30);
            assertThat(host.getNanoCPUs()).isEqualTo(1_000_000_000L);
            assertThat(host.getPidsLimit()).isEqualTo(512L);
            assertThat(host.getRuntime()).isEqualTo("crun");
            assertThat(host.getBinds()).as("no host folder in the container").isNullOrEmpty();
            assertThat(inspected.getMounts())
                    .as("no host folder in the container")
                    .isNullOrEmpty();
            assertThat(inspected.getConfig().getLabels())
                    .containsAllEntriesOf(RunOwner.current().labels());
            assertThat(inspected.getConfig().getEnv())
                    .as("nothing of the host's environment: the image's PATH and what the engine itself sets")
                    .extracting(e -> e.substring(0, e.indexOf('=')))
                    .isSubsetOf("PATH", "HOSTNAME", "HOME", "TERM", "container");

            CommandResult r = sandbox.exec(Command.shell(
                    "hostname; ip -o link | cut -d: -f2; ls /run/msb/cp; test -e /.dockerenv && echo dockerenv"));
            List<String> lines = r.stdout().lines().map(String::strip).toList();
            assertThat(lines.get(0)).isEqualTo("sandbox");
            assertThat(lines).as("only the loopback interface").contains("lo").doesNotContain("eth0");
            assertThat(r.stdout()).contains("agent.args").doesNotContain("dockerenv");
        }
    }

    @Test
    void aGuestWhoseAgentDiesFailsWithTheCauseAndItsContainerIsRemoved() throws Exception {
        Sandbox sandbox = backend().start(SandboxConfig.defaults().withMemory("1g"));
        try {
            CommandResult r = sandbox.exec(
                    Command.shell("kill -9 $(pgrep -f 'agent[.]args')").withTimeout(Duration.ofMinutes(1)));
            assertThat(r).isNotNull();
        } catch (RuntimeException expected) {
            // the agent running the command died with it
        }
        for (int i = 0; i < 600 && sandbox.deathCause().isEmpty(); i++) {
            Thread.sleep(100);
        }
        assertThat(sandbox.deathCause()).get().asString().contains("the guest's test JVM exited with status 137");
        sandbox.close();
        assertThat(DockerEngine.at(podman.endpoint()).managedContainers())
                .noneMatch(c -> List.of(c.getNames()).contains("/" + sandbox.id()));
    }

    @Test
    void theContainerOfAKilledRunStopsByItselfAndTheNextRunRemovesIt() throws Exception {
        Path log = runDir.resolve("killed-run.log");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                KilledRun.class.getName()));
        settings.forEach((k, v) -> command.add(1, "-D" + k + "=" + v));
        Process run = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        String id = null;
        for (int i = 0; i < 3000 && id == null && run.isAlive(); i++) {
            id = Files.readAllLines(log).stream()
                    .filter(l -> l.startsWith(KilledRun.READY))
                    .map(l -> l.substring(KilledRun.READY.length()))
                    .findFirst()
                    .orElse(null);
            Thread.sleep(100);
        }
        assertThat(id).as("the other run's sandbox: %s", Files.readString(log)).isNotNull();
        run.destroyForcibly().waitFor(1, TimeUnit.MINUTES);

        DockerEngine engine = DockerEngine.at(podman.endpoint());
        String name = id;
        String state = "running";
        for (int i = 0; i < 600 && state.equals("running"); i++) {
            state = engine.managedContainers().stream()
                    .filter(c -> List.of(c.getNames()).contains("/" + name))
                    .map(Container::getState)
                    .findFirst()
                    .orElse("gone");
            Thread.sleep(100);
        }
        assertThat(state).as("the guest saw its channel end and stopped").isIn("exited", "stopped");

        LeftoverContainers.sweep(engine);
        assertThat(engine.managedContainers())
                .noneMatch(c -> List.of(c.getNames()).contains("/" + name));
    }

    /** What the engine reported, as plain lines: what must be the same whichever backend ran the class. */
    static List<String> transcript(EngineExecutionResults results) {
        List<String> lines = new ArrayList<>();
        for (Event e : results.allEvents().list()) {
            var d = e.getTestDescriptor();
            StringBuilder s = new StringBuilder(e.getType() + " " + d.getUniqueId() + " | " + d.getDisplayName() + " | "
                    + d.getLegacyReportingName() + " | " + d.getType());
            if (e.getType() == EventType.FINISHED) {
                s.append(Transcript.outcome(e.getRequiredPayload(TestExecutionResult.class)));
            }
            if (e.getType() == EventType.SKIPPED) {
                s.append(" | ").append(e.getPayload(String.class).orElse(""));
            }
            if (e.getType() == EventType.REPORTING_ENTRY_PUBLISHED) {
                s.append(Transcript.entries(e.getRequiredPayload(ReportEntry.class)));
            }
            lines.add(s.toString());
        }
        return lines;
    }

    /** A run that starts a sandbox and waits to be killed. */
    static final class KilledRun {
        static final String READY = "SANDBOX ";

        public static void main(String[] args) throws Exception {
            KataDockerBackend backend = KataDockerBackend.create(name -> Optional.ofNullable(System.getProperty(name)));
            Sandbox sandbox = backend.start(SandboxConfig.defaults().withMemory("1g"));
            System.out.println(READY + sandbox.id());
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}
