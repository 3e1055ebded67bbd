package dev.microvmsandbox.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.testkit.engine.EventConditions.container;
import static org.junit.platform.testkit.engine.EventConditions.event;
import static org.junit.platform.testkit.engine.EventConditions.finishedWithFailure;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.message;

import dev.microvmsandbox.backend.SandboxException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineTestKit;

class RunDeadlineTest {

    private static final String FIRST = "dev.microvmsandbox.fixtures.GuestBehaviourFixture";
    private static final String SECOND = "dev.microvmsandbox.fixtures.OversizedOutputFixture";

    @Test
    void classesAfterTheRunTimeoutFailWithoutBooting() {
        AtomicInteger boots = new AtomicInteger();
        // the first class's boot takes longer than the whole run may: the second must not boot at all
        EngineTestKit.engine(new MicroVmSandboxEngine(config -> {
                    boots.incrementAndGet();
                    sleep(300);
                    throw new SandboxException("boot failed on purpose");
                }))
                .selectors(selectClass(FIRST), selectClass(SECOND))
                .configurationParameter(RunDeadline.PARAMETER, "100ms")
                .execute()
                .containerEvents()
                .assertThatEvents()
                .haveExactly(
                        1,
                        event(
                                container("GuestBehaviourFixture"),
                                finishedWithFailure(message("boot failed on purpose"))))
                .haveExactly(
                        1,
                        event(
                                container("OversizedOutputFixture"),
                                finishedWithFailure(message(
                                        m -> m.contains("the run's timeout of 100ms") && m.contains("did not run")))));
        assertThat(boots).hasValue(1);
    }

    @Test
    void aWrongRunTimeoutSaysHowToWriteIt() {
        EngineTestKit.engine(new MicroVmSandboxEngine(config -> {
                    throw new AssertionError("a wrong run timeout must not start a sandbox");
                }))
                .selectors(selectClass(FIRST))
                .configurationParameter(RunDeadline.PARAMETER, "forever")
                .execute()
                .containerEvents()
                .assertThatEvents()
                .haveExactly(
                        1,
                        event(
                                container("GuestBehaviourFixture"),
                                finishedWithFailure(message(m -> m.contains("microvm.sandbox.runTimeout=2h")))));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
