package dev.microvmsandbox.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.testkit.engine.EventConditions.container;
import static org.junit.platform.testkit.engine.EventConditions.event;
import static org.junit.platform.testkit.engine.EventConditions.finishedWithFailure;
import static org.junit.platform.testkit.engine.EventConditions.test;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.instanceOf;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.message;

import dev.microvmsandbox.WaitBounds;
import dev.microvmsandbox.fixtures.HostMarker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.reporting.ReportEntry;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;
import org.junit.platform.testkit.engine.EventType;
import org.junit.platform.testkit.engine.Events;
import org.opentest4j.AssertionFailedError;

/**
 * Runs the fixtures in one real sandbox VM (they share it: same configuration, per-run isolation)
 * and checks that the host sees what the guest did, as if it had run locally.
 */
class SandboxedEngineIT {

    private static final String BEHAVIOUR = "dev.microvmsandbox.fixtures.GuestBehaviourFixture";
    private static final String BEFORE_ALL = "dev.microvmsandbox.fixtures.BeforeAllFailureFixture";
    private static final String BAD_MEMORY = "dev.microvmsandbox.fixtures.BadMemoryFixture";
    private static final String OVERSIZED = "dev.microvmsandbox.fixtures.OversizedOutputFixture";
    private static final String MISSING_IMAGE = "dev.microvmsandbox.fixtures.MissingImageFixture";
    private static final String HOSTILE_DISCOVERY = "dev.microvmsandbox.fixtures.HostileDiscoveryFixture";

    @TempDir
    static Path markers;

    static EngineExecutionResults sandboxed;

    @BeforeAll
    static void runFixturesInASandbox() throws Exception {
        System.setProperty(HostMarker.PROPERTY, markers.toString());
        try {
            sandboxed = EngineTestKit.engine(MicroVmSandboxEngine.ENGINE_ID)
                    .selectors(
                            selectClass(BEHAVIOUR),
                            selectClass(BEFORE_ALL),
                            selectClass(BAD_MEMORY),
                            selectClass(OVERSIZED),
                            selectClass(MISSING_IMAGE),
                            selectClass(HOSTILE_DISCOVERY))
                    .configurationParameter("microvm.sandbox.bootTimeout", WaitBounds.bootTimeout())
                    .execute();
        } finally {
            System.clearProperty(HostMarker.PROPERTY);
        }
        try (Stream<Path> files = Files.list(markers)) {
            assertThat(files).as("fixture code that ran on the host").isEmpty();
        }
    }

    @Test
    void countsEveryOutcome() {
        assertThat(statistics(BEHAVIOUR)).isEqualTo("started=14 skipped=1 {SUCCESSFUL=11, ABORTED=1, FAILED=2}");
    }

    @Test
    void cutsWhatIsTooLargeForTheChannelAndGoesOn() {
        assertThat(statistics(OVERSIZED)).isEqualTo("started=3 skipped=0 {SUCCESSFUL=2, FAILED=1}");
        Throwable t = sandboxed.testEvents().failed().stream()
                .filter(e -> e.getTestDescriptor().getDisplayName().equals("failsWithAHugeMessageAndDeepCauses()"))
                .findFirst()
                .orElseThrow()
                .getRequiredPayload(TestExecutionResult.class)
                .getThrowable()
                .orElseThrow();
        assertThat(t.getMessage())
                .startsWith("cause 49 yyyy")
                .hasSizeLessThan(70 * 1024)
                .contains("characters cut in the sandbox");
        int printed = sandboxed.allEvents().reportingEntryPublished().stream()
                .filter(e -> e.getTestDescriptor().getDisplayName().equals("printsALot()"))
                .mapToInt(e -> e.getRequiredPayload(ReportEntry.class)
                        .getKeyValuePairs()
                        .get("stdout")
                        .length())
                .sum();
        assertThat(printed).isEqualTo(300_000);
    }

    /** Test events of one class: how many started and skipped, and how many finished with each status. */
    private static String statistics(String className) {
        List<Event> events = sandboxed
                .testEvents()
                .filter(e -> e.getTestDescriptor().getUniqueId().toString().contains("[class:" + className + "]"))
                .collect(Collectors.toList());
        long started =
                events.stream().filter(e -> e.getType() == EventType.STARTED).count();
        long skipped =
                events.stream().filter(e -> e.getType() == EventType.SKIPPED).count();
        Map<TestExecutionResult.Status, Long> finished = events.stream()
                .filter(e -> e.getType() == EventType.FINISHED)
                .collect(Collectors.groupingBy(
                        e -> e.getRequiredPayload(TestExecutionResult.class).getStatus(),
                        TreeMap::new,
                        Collectors.counting()));
        return "started=" + started + " skipped=" + skipped + " " + finished;
    }

    @Test
    void reportsAssertionDiffFromGuest() {
        Event failure = sandboxed
                .testEvents()
                .failed()
                .filter(e -> e.getTestDescriptor().getDisplayName().equals("failsWithDiff()"))
                .findFirst()
                .orElseThrow();
        Throwable t = failure.getRequiredPayload(TestExecutionResult.class)
                .getThrowable()
                .orElseThrow();

        assertThat(t)
                .isInstanceOf(AssertionFailedError.class)
                .hasMessage("strings differ ==> expected: <expected text> but was: <actual text>");
        assertThat(((AssertionFailedError) t).getExpected().getStringRepresentation())
                .isEqualTo("expected text");
        assertThat(((AssertionFailedError) t).getActual().getStringRepresentation())
                .isEqualTo("actual text");
        assertThat(t.getStackTrace())
                .anySatisfy(frame -> assertThat(frame.getClassName()).isEqualTo(BEHAVIOUR));
    }

    @Test
    void reportsGuestExceptionWithItsClassNameAndCause() {
        sandboxed
                .testEvents()
                .assertThatEvents()
                .haveExactly(1, event(test("errors"), finishedWithFailure(message("boom"))));
        Throwable t = sandboxed
                .testEvents()
                .failed()
                .filter(e -> e.getTestDescriptor().getDisplayName().equals("errors()"))
                .findFirst()
                .orElseThrow()
                .getRequiredPayload(TestExecutionResult.class)
                .getThrowable()
                .orElseThrow();

        assertThat(t).hasToString("java.lang.IllegalStateException: boom");
        assertThat(t.getCause()).hasToString("java.lang.IllegalArgumentException: root cause");
    }

    @Test
    void mirrorsNamesSourcesAndTree() {
        List<String> names = sandboxed.allEvents().started().stream()
                .map(e -> e.getTestDescriptor().getDisplayName())
                .collect(Collectors.toList());

        assertThat(names)
                .contains(
                        "GuestBehaviourFixture",
                        "custom display name",
                        "NestedCases",
                        "nestedPasses()",
                        "[1] 1",
                        "[2] 2",
                        "repetition 1 of 2",
                        "dynamic a",
                        "dynamic b");
        assertThat(sandboxed.testEvents().started().stream()
                        .map(e -> e.getTestDescriptor().getUniqueId().toString()))
                .contains("[engine:microvm-sandbox]/[class:" + BEHAVIOUR
                        + "]/[nested-class:NestedCases]/[method:nestedPasses()]");
        assertThat(sandboxed.testEvents().started().stream()
                        .map(e -> e.getTestDescriptor().getSource().orElseThrow()))
                .contains(
                        MethodSource.from(BEHAVIOUR + "$NestedCases", "nestedPasses", ""),
                        MethodSource.from(BEHAVIOUR, "parameterized", "int"));
        sandboxed
                .testEvents()
                .skipped()
                .assertThatEvents()
                .haveExactly(
                        1,
                        event(
                                test("disabled"),
                                org.junit.platform.testkit.engine.EventConditions.skippedWithReason("not today")));
    }

    @Test
    void failsClassWhoseBeforeAllFailsAndClassWithBadConfiguration() {
        sandboxed
                .containerEvents()
                .assertThatEvents()
                .haveExactly(
                        1,
                        event(
                                container(BEFORE_ALL.substring(BEFORE_ALL.lastIndexOf('.') + 1)),
                                finishedWithFailure(message("setup failed"))))
                .haveExactly(
                        1,
                        event(
                                container("BadMemoryFixture"),
                                finishedWithFailure(
                                        instanceOf(IllegalArgumentException.class),
                                        message(m ->
                                                m.contains("memory = \"lots\"") && m.contains("memory = \"2g\"")))));
    }

    /** The markers folder stayed empty (checked in the setup), yet the classes' tests ran in the guest. */
    @Test
    void runsInTheGuestWhatJupitersDiscoveryWouldHaveRunOnTheHost() {
        assertThat(statistics(HOSTILE_DISCOVERY)).isEqualTo("started=1 skipped=0 {SUCCESSFUL=1}");
    }

    @Test
    void failsAClassWhoseImageIsNowhereSayingWhatWasTried() {
        sandboxed
                .containerEvents()
                .assertThatEvents()
                .haveExactly(
                        1,
                        event(
                                container("MissingImageFixture"),
                                finishedWithFailure(message(
                                        m -> m.contains("localhost/nowhere/missing:1") && m.contains("Tried")))));
    }

    @Test
    void streamsStdoutAndRunsOnTheGuestKernel() {
        List<String> stdout = sandboxed.allEvents().reportingEntryPublished().stream()
                .map(e -> e.getRequiredPayload(ReportEntry.class)
                        .getKeyValuePairs()
                        .get("stdout"))
                .filter(s -> s != null)
                .collect(Collectors.toList());

        assertThat(stdout).contains("hello from the guest\n");
        String kernel = stdout.stream()
                .filter(s -> s.startsWith("kernel="))
                .findFirst()
                .orElseThrow()
                .trim();
        assertThat(kernel.substring("kernel=".length())).isNotBlank().isNotEqualTo(System.getProperty("os.version"));
    }

    @Test
    void sameEventTreeAsAPlainJupiterRun() {
        EngineExecutionResults plain = EngineTestKit.engine("junit-jupiter")
                .selectors(selectClass(BEHAVIOUR), selectClass(BEFORE_ALL))
                .execute();

        assertThat(tree(sandboxed.allEvents(), "[engine:microvm-sandbox]"))
                .isEqualTo(tree(plain.allEvents(), "[engine:junit-jupiter]"));
    }

    /** What a report shows: event, id, name, type, status and exception, without the mirror's extra registrations. */
    private static List<String> tree(Events events, String engineSegment) {
        return events.stream()
                .filter(e -> e.getType() != EventType.DYNAMIC_TEST_REGISTERED
                        && e.getType() != EventType.REPORTING_ENTRY_PUBLISHED)
                .filter(e -> !e.getTestDescriptor().getUniqueId().toString().contains("BadMemoryFixture")
                        && !e.getTestDescriptor().getUniqueId().toString().contains(OVERSIZED)
                        && !e.getTestDescriptor().getUniqueId().toString().contains(MISSING_IMAGE)
                        && !e.getTestDescriptor().getUniqueId().toString().contains(HOSTILE_DISCOVERY))
                .map(e -> e.getType() + " "
                        + e.getTestDescriptor().getUniqueId().toString().replace(engineSegment, "[engine]")
                        + (e.getTestDescriptor().isRoot()
                                ? ""
                                : " '" + e.getTestDescriptor().getDisplayName() + "' "
                                        + e.getTestDescriptor().getType() + " "
                                        + e.getTestDescriptor().getLegacyReportingName())
                        + outcome(e))
                .collect(Collectors.toList());
    }

    private static String outcome(Event e) {
        Optional<TestExecutionResult> result = e.getPayload(TestExecutionResult.class);
        if (result.isEmpty()) {
            return e.getPayload(String.class).map(reason -> " reason=" + reason).orElse("");
        }
        return " " + result.get().getStatus()
                + result.get()
                        .getThrowable()
                        .map(t -> " " + t + " cause=" + t.getCause())
                        .orElse("");
    }
}
