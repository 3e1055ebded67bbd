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
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.TestExecutionResult;
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
        assertThat(started.get(0).received.get().methods()).containsExactly(OTHER + "#neverStarts()");
        results.containerEvents().assertStatistics(stats -> stats.succeeded(3));
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
                guest, event(run, "registered", ScriptedSandbox.node(ENGINE, null, "CONTAINER", null, null)));
        ScriptedSandbox.send(
                guest, event(run, "registered", ScriptedSandbox.node(CLASS_ID, ENGINE, "CONTAINER", FIXTURE, null)));
        ScriptedSandbox.send(
                guest, event(run, "registered", ScriptedSandbox.node(TEST_ID, CLASS_ID, "TEST", FIXTURE, "passes")));
        ScriptedSandbox.send(
                guest, event(run, "started", ScriptedSandbox.node(CLASS_ID, ENGINE, "CONTAINER", FIXTURE, null)));
        ScriptedSandbox.send(
                guest, event(run, "started", ScriptedSandbox.node(TEST_ID, CLASS_ID, "TEST", FIXTURE, "passes")));
    }

    private static Message.TestEvent event(Message.RunTests run, String name, Message.TestNode node) {
        return new Message.TestEvent(run.id(), name, node, null, null, null, null, null, null);
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
