package dev.microvmsandbox.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.microvmsandbox.WaitBounds;
import java.time.Instant;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.reporting.ReportEntry;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;
import org.junit.platform.testkit.engine.EventType;

/**
 * With parallel execution on, two per-run classes of the same configuration run at the same
 * time, each in a VM of its own (a shared VM serves one class at a time).
 */
class ParallelClassesIT {

    private static final String A = "dev.microvmsandbox.fixtures.ParallelFixtureA";
    private static final String B = "dev.microvmsandbox.fixtures.ParallelFixtureB";

    @Test
    void twoClassesRunAtOnceInTwoVms() {
        EngineExecutionResults results = EngineTestKit.engine(MicroVmSandboxEngine.ENGINE_ID)
                .selectors(selectClass(A), selectClass(B))
                .configurationParameter(ClassScheduler.ENABLED, "true")
                .configurationParameter("microvm.sandbox.bootTimeout", WaitBounds.bootTimeout())
                .configurationParameter(ClassScheduler.MAX_SANDBOXES, "2")
                .execute();
        results.testEvents().assertStatistics(s -> s.started(2).succeeded(2));

        Event startA = event(results, A, EventType.STARTED);
        Event startB = event(results, B, EventType.STARTED);
        Event endA = event(results, A, EventType.FINISHED);
        Event endB = event(results, B, EventType.FINISHED);
        assertThat(overlap(startA.getTimestamp(), endA.getTimestamp(), startB.getTimestamp(), endB.getTimestamp()))
                .as(
                        "A ran %s..%s, B ran %s..%s",
                        startA.getTimestamp(), endA.getTimestamp(), startB.getTimestamp(), endB.getTimestamp())
                .isTrue();

        Map<String, String> bootIds = results.testEvents().reportingEntryPublished().stream()
                .collect(Collectors.toMap(
                        ParallelClassesIT::className,
                        e -> e.getPayload(ReportEntry.class)
                                .orElseThrow()
                                .getKeyValuePairs()
                                .get("bootId")));
        assertThat(bootIds).containsOnlyKeys(A, B);
        assertThat(bootIds.get(A)).as("boot ids of the two guests").isNotBlank().isNotEqualTo(bootIds.get(B));
    }

    private static boolean overlap(Instant start1, Instant end1, Instant start2, Instant end2) {
        return start1.isBefore(end2) && start2.isBefore(end1);
    }

    private static Event event(EngineExecutionResults results, String className, EventType type) {
        return results.testEvents()
                .filter(e -> e.getType() == type && className(e).equals(className))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + type + " event of a test of " + className));
    }

    private static String className(Event e) {
        return e.getTestDescriptor()
                .getParent()
                .orElseThrow()
                .getSource()
                .filter(org.junit.platform.engine.support.descriptor.ClassSource.class::isInstance)
                .map(s -> ((org.junit.platform.engine.support.descriptor.ClassSource) s).getClassName())
                .orElse("?");
    }
}
