package dev.microvmsandbox.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import dev.microvmsandbox.backend.Sandbox;
import dev.microvmsandbox.backend.SandboxConfig;
import dev.microvmsandbox.backend.SandboxException;
import dev.microvmsandbox.channel.Channel;
import dev.microvmsandbox.channel.Message;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.FilterResult;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.PostDiscoveryFilter;
import org.junit.platform.launcher.TagFilter;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

/** The host side of a run against a scripted guest: no VM, real channel, real engine. */
class SandboxedClassExecutionTest {

    private static final String FIXTURE = "dev.microvmsandbox.fixtures.GuestBehaviourFixture";
    private static final String OTHER = "dev.microvmsandbox.fixtures.BeforeAllFailureFixture";
    private static final String ENGINE = "[engine:junit-jupiter]";
    private static final String CLASS_ID = ENGINE + "/[class:" + FIXTURE + "]";
    private static final String TEST_ID = CLASS_ID + "/[method:passes()]";

    private final List<ScriptedSandbox> started = new ArrayList<>();

    @Test
    void testsStillRunningAtTheClassTimeoutFailWithTheTimeoutAndConsole() {
        EngineExecutionResults results = run(
                Map.of("microvm.sandbox.timeout", "1s"),
                (guest, run) -> {
                    startOneTest(guest, run);
                    // and then never finish it
                },
                selectClass(FIXTURE));

        Throwable test = failure(results, "passes()");
        assertThat(test)
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("the timeout of 1s for " + FIXTURE + " passed")
                .hasMessageContaining("scripted console line");
        assertThat(failure(results, "GuestBehaviourFixture")).hasMessageContaining("timeout of 1s");
        assertThat(started)
                .singleElement()
                .satisfies(s -> assertThat(s.deathCause()).isPresent());
    }

    @Test
    void testsStillRunningWhenTheSandboxDiesFailWithItsDeathCause() {
        EngineExecutionResults results = run(
                Map.of(),
                (guest, run) -> {
                    startOneTest(guest, run);
                    started.get(0).die("the VM stopped (qemu exit code 137)");
                },
                selectClass(FIXTURE));

        assertThat(failure(results, "GuestBehaviourFixture"))
                .hasMessageContaining("qemu exit code 137")
                .hasMessageContaining("scripted console line");
    }

    /**
     * A guest that stops on its own (System.exit, a crash) ends its channel after everything it
     * sent; the host reads all of it, then waits for the decided cause instead of naming the closed
     * channel.
     */
    @Test
    void aGuestThatStopsOnItsOwnIsReportedWithTheCauseDecidedAfterItsChannelEnded() {
        EngineExecutionResults results = run(
                Map.of(),
                (guest, run) -> {
                    startOneTest(guest, run);
                    started.get(0).guestStops("the VM stopped: the guest's test JVM exited with status 4");
                },
                selectClass(FIXTURE));

        assertThat(failure(results, "passes()"))
                .hasMessageStartingWith("the VM stopped: the guest's test JVM exited with status 4")
                .hasMessageContaining("scripted console line");
        assertThat(failure(results, "GuestBehaviourFixture")).hasMessageContaining("exited with status 4");
    }

    @Test
    void runDoneWithTestsOpenFailsThem() {
        EngineExecutionResults results = run(
                Map.of(),
                (guest, run) -> {
                    startOneTest(guest, run);
                    ScriptedSandbox.send(guest, new Message.RunDone(run.id(), "launcher crashed"));
                },
                selectClass(FIXTURE));

        assertThat(failure(results, "passes()")).hasMessageContaining("launcher crashed");
    }

    @Test
    void perRunClassesShareOneSandboxAndGetTheirSelection() {
        EngineExecutionResults results = run(
                Map.of(),
                (guest, run) -> ScriptedSandbox.send(guest, new Message.RunDone(run.id(), null)),
                selectClass(FIXTURE),
                selectMethod(OTHER, "neverStarts", ""));

        assertThat(started).hasSize(1);
        // its only test selected is all of it: the guest runs the class
        assertThat(started.get(0).received.get().classNames()).containsExactly(OTHER);
        results.containerEvents().assertStatistics(stats -> stats.succeeded(3));
    }

    @Test
    void theGuestGetsTheLaunchersJUnitConfigurationButNotTheHostsSystemProperties() {
        System.setProperty("junit.jupiter.execution.timeout.default", "5 m");
        System.setProperty("host.only.secret", "s3cret");
        try {
            EngineTestKit.engine(new MicroVmSandboxEngine(config -> {
                        ScriptedSandbox sandbox = new ScriptedSandbox(
                                config,
                                (guest, run) -> ScriptedSandbox.send(guest, new Message.RunDone(run.id(), null)));
                        started.add(sandbox);
                        return sandbox;
                    }))
                    // as the launcher does for Surefire and IDEs: system properties are parameters too
                    .enableImplicitConfigurationParameters(true)
                    .configurationParameter(
                            "junit.jupiter.displayname.generator.default",
                            "org.junit.jupiter.api.DisplayNameGenerator$Simple")
                    .configurationParameter("microvm.sandbox.memory", "1g")
                    .selectors(selectClass(FIXTURE))
                    .execute();
        } finally {
            System.clearProperty("junit.jupiter.execution.timeout.default");
            System.clearProperty("host.only.secret");
        }

        Map<String, String> configuration = started.get(0).received.get().configuration();
        assertThat(configuration)
                .containsEntry(
                        "junit.jupiter.displayname.generator.default",
                        "org.junit.jupiter.api.DisplayNameGenerator$Simple")
                .containsEntry("junit.jupiter.execution.timeout.default", "5 m")
                .doesNotContainKeys("host.only.secret", "microvm.sandbox.memory", "java.home", "user.home");
    }

    /** What Surefire's -Dtest=Class#method adds: a filter on method sources. */
    private static PostDiscoveryFilter methodsNamed(String... names) {
        Set<String> wanted = Set.of(names);
        return d -> FilterResult.includedIf(d.getSource()
                .filter(MethodSource.class::isInstance)
                .map(source -> wanted.contains(((MethodSource) source).getMethodName()))
                .orElse(true));
    }

    @Test
    void aMethodFilterSendsOnlyTheTestsItLeftToTheGuest() {
        EngineExecutionResults results = EngineTestKit.engine(engine((guest, run) -> {
                    startOneTest(guest, run);
                    ScriptedSandbox.send(
                            guest, new Message.TestFinished(run.id(), TEST_ID, Message.Status.SUCCESSFUL, null));
                    ScriptedSandbox.send(
                            guest, new Message.TestFinished(run.id(), CLASS_ID, Message.Status.SUCCESSFUL, null));
                    ScriptedSandbox.send(guest, new Message.RunDone(run.id(), null));
                }))
                .selectors(selectClass(FIXTURE))
                .filters(methodsNamed("passes"))
                .execute();

        Message.RunTests request = started.get(0).received.get();
        assertThat(request.classNames()).isEmpty();
        assertThat(request.uniqueIds()).containsExactly(TEST_ID);
        results.testEvents().assertStatistics(stats -> stats.started(1).succeeded(1));
        // the guest's registration of a test discovery knew is no new test for the host
        assertThat(results.allEvents().dynamicallyRegistered().count()).isZero();
        assertThat(results.allEvents().finished().stream()
                        .filter(e ->
                                e.getTestDescriptor().getUniqueId().toString().endsWith("[method:passes()]")))
                .singleElement()
                .satisfies(e -> assertThat(e.getTestDescriptor()).isInstanceOf(StaticTestDescriptor.class));
    }

    @Test
    void aTagFilterSeesTheTagsOfTestsAndTheirClasses() {
        String model = "dev.microvmsandbox.fixtures.model.ModelFixture";
        String modelId = ENGINE + "/[class:" + model + "]";

        EngineTestKit.engine(engine((guest, run) -> ScriptedSandbox.send(guest, new Message.RunDone(run.id(), null))))
                .selectors(selectClass(model))
                .filters(TagFilter.includeTags("fast | (inner & !model)"))
                .execute();
        assertThat(started.get(0).received.get().uniqueIds()).containsExactly(modelId + "/[method:composed()]");

        started.clear();
        EngineTestKit.engine(engine((guest, run) -> ScriptedSandbox.send(guest, new Message.RunDone(run.id(), null))))
                .selectors(selectClass(model))
                .filters(TagFilter.includeTags("inner"))
                .execute();
        assertThat(started.get(0).received.get().uniqueIds())
                .containsExactlyInAnyOrder(
                        modelId + "/[nested-class:Inner]/[method:innerTest()]",
                        modelId + "/[nested-class:Inner]/[nested-class:Deeper]/[method:deepest(java.lang.String)]");
    }

    @Test
    void aClassTheFiltersLeftNothingOfBootsNothing() {
        EngineExecutionResults results = EngineTestKit.engine(engine((guest, run) -> {
                    throw new AssertionError("no test was left to run");
                }))
                .selectors(selectClass(FIXTURE))
                .filters(methodsNamed("noSuchTest"))
                .execute();

        assertThat(started).isEmpty();
        assertThat(results.allEvents().count()).isEqualTo(2); // the engine started and finished
    }

    @Test
    void perClassIsolationGivesEachClassItsOwnSandbox() {
        run(
                Map.of("microvm.sandbox.isolation", "per_class"),
                (guest, run) -> ScriptedSandbox.send(guest, new Message.RunDone(run.id(), null)),
                selectClass(FIXTURE),
                selectClass(OTHER));

        assertThat(started)
                .hasSize(2)
                .allSatisfy(s -> assertThat(s.deathCause()).contains("closed by the host"));
    }

    @Test
    void aSandboxThatCannotBootFailsItsClassesWithTheReason() {
        EngineExecutionResults results = EngineTestKit.engine(new MicroVmSandboxEngine(config -> {
                    throw new SandboxException("no /dev/kvm: enable nested virtualisation");
                }))
                .selectors(selectClass(FIXTURE), selectClass(OTHER))
                .execute();

        assertThat(failure(results, "GuestBehaviourFixture")).hasMessageContaining("no /dev/kvm");
        assertThat(failure(results, "BeforeAllFailureFixture")).hasMessageContaining("no /dev/kvm");
    }

    private static void startOneTest(Channel guest, Message.RunTests run) {
        ScriptedSandbox.send(
                guest,
                new Message.TestRegistered(
                        run.id(), ScriptedSandbox.node(ENGINE, null, Message.NodeType.CONTAINER, null, null)));
        ScriptedSandbox.send(
                guest,
                new Message.TestRegistered(
                        run.id(), ScriptedSandbox.node(CLASS_ID, ENGINE, Message.NodeType.CONTAINER, FIXTURE, null)));
        ScriptedSandbox.send(
                guest,
                new Message.TestRegistered(
                        run.id(), ScriptedSandbox.node(TEST_ID, CLASS_ID, Message.NodeType.TEST, FIXTURE, "passes")));
        ScriptedSandbox.send(guest, new Message.TestStarted(run.id(), CLASS_ID));
        ScriptedSandbox.send(guest, new Message.TestStarted(run.id(), TEST_ID));
    }

    private MicroVmSandboxEngine engine(BiConsumer<Channel, Message.RunTests> script) {
        return new MicroVmSandboxEngine(config -> {
            ScriptedSandbox sandbox = new ScriptedSandbox(config, script);
            started.add(sandbox);
            return sandbox;
        });
    }

    private EngineExecutionResults run(
            Map<String, String> parameters,
            BiConsumer<Channel, Message.RunTests> script,
            DiscoverySelector... selectors) {
        Function<SandboxConfig, Sandbox> starter = config -> {
            ScriptedSandbox sandbox = new ScriptedSandbox(config, script);
            started.add(sandbox);
            return sandbox;
        };
        return EngineTestKit.engine(new MicroVmSandboxEngine(starter))
                .configurationParameters(parameters)
                .selectors(selectors)
                .execute();
    }

    private static Throwable failure(EngineExecutionResults results, String displayName) {
        Event finished = results.allEvents().finished().stream()
                .filter(e -> e.getTestDescriptor().getDisplayName().equals(displayName))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no finish of " + displayName));
        TestExecutionResult result = finished.getRequiredPayload(TestExecutionResult.class);
        assertThat(result.getStatus()).isEqualTo(TestExecutionResult.Status.FAILED);
        return result.getThrowable().orElseThrow();
    }
}
