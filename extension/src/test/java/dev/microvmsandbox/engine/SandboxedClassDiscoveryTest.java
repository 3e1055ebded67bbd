package dev.microvmsandbox.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectUniqueId;

import dev.microvmsandbox.MicroVmSandbox;
import dev.microvmsandbox.fixtures.HostMarker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.engine.DiscoveryIssue;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.TestDescriptor;
import org.junit.platform.engine.UniqueId;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.testkit.engine.EngineTestKit;

class SandboxedClassDiscoveryTest {

    private static final String FIXTURES = "dev.microvmsandbox.fixtures.";

    @TempDir
    Path markers;

    @BeforeEach
    void watchForHostCode() {
        System.setProperty(HostMarker.PROPERTY, markers.toString());
    }

    @AfterEach
    void noFixtureCodeRanOnTheHost() throws Exception {
        System.clearProperty(HostMarker.PROPERTY);
        try (Stream<Path> files = Files.list(markers)) {
            assertThat(files).as("markers of fixture code that ran on the host").isEmpty();
        }
    }

    @Test
    void findsAnnotatedClassByBytesWithoutInitialisingIt() {
        TestDescriptor engine = discover(Map.of(), selectClass(FIXTURES + "StaticInitialiserFixture"));

        assertThat(engine.getChildren()).singleElement().satisfies(child -> {
            assertThat(child.getUniqueId())
                    .hasToString("[engine:microvm-sandbox]/[class:" + FIXTURES + "StaticInitialiserFixture]");
            assertThat(child.getDisplayName()).isEqualTo("StaticInitialiserFixture");
            assertThat(child.getLegacyReportingName()).isEqualTo(FIXTURES + "StaticInitialiserFixture");
            assertThat(child.getChildren())
                    .singleElement()
                    .satisfies(m -> assertThat(m.getUniqueId().getLastSegment().getValue())
                            .isEqualTo("runs()"));
        });
    }

    @Test
    void readsAnnotationValuesFromBytes() {
        ClassFileIndex index = ClassFileIndex.forContextClassLoader();

        SandboxAnnotation a =
                index.sandboxAnnotation(FIXTURES + "StaticInitialiserFixture").orElseThrow();

        assertThat(a)
                .isEqualTo(new SandboxAnnotation(
                        "1g",
                        1,
                        "5m",
                        List.of("docker-archive:images/redis.tar"),
                        List.of("MODE=test", "LEVEL=3"),
                        "PER_CLASS",
                        "1g"));
        assertThat(index.sandboxAnnotation(FIXTURES + "SubclassOfSandboxedFixture"))
                .contains(a);
        assertThat(index.sandboxAnnotation(FIXTURES + "PlainJupiterFixture")).isEmpty();
    }

    @Test
    void annotationBecomesSandboxSettings() {
        SandboxedClassDescriptor d = onlyClass(discover(Map.of(), selectClass(FIXTURES + "StaticInitialiserFixture")));

        SandboxSettings settings = d.settings().orElseThrow();
        assertThat(settings.config().memory().mebibytes()).isEqualTo(1024);
        assertThat(settings.config().cpus()).isEqualTo(1);
        assertThat(settings.config().disk().mebibytes()).isEqualTo(1024);
        assertThat(settings.config().env()).containsEntry("MODE", "test").containsEntry("LEVEL", "3");
        assertThat(settings.images()).containsExactly("docker-archive:images/redis.tar");
        assertThat(settings.classTimeout()).hasMinutes(5);
        assertThat(settings.isolation()).isEqualTo(MicroVmSandbox.Isolation.PER_CLASS);
        assertThat(settings.config().classpath()).isNotEmpty();
    }

    @Test
    void wrongAnnotationValueFailsOnlyThatClass() {
        TestDescriptor engine = discover(
                Map.of(),
                selectClass(FIXTURES + "BadMemoryFixture"),
                selectClass(FIXTURES + "StaticInitialiserFixture"));

        assertThat(engine.getChildren()).hasSize(2);
        SandboxedClassDescriptor bad =
                (SandboxedClassDescriptor) engine.getChildren().iterator().next();
        assertThat(bad.settingsError())
                .get()
                .asString()
                .contains("memory = \"lots\"")
                .contains("write it like @MicroVmSandbox(memory = \"2g\")");
    }

    @Test
    void aWrongAnnotationValueIsADiscoveryIssueButNoErrorThatStopsTheEngine() {
        List<DiscoveryIssue> issues = EngineTestKit.engine(new MicroVmSandboxEngine(config -> {
                    throw new AssertionError("discovery must not start sandboxes");
                }))
                .selectors(
                        selectClass(FIXTURES + "BadMemoryFixture"), selectClass(FIXTURES + "StaticInitialiserFixture"))
                .discover()
                .getDiscoveryIssues();

        assertThat(issues).singleElement().satisfies(issue -> {
            assertThat(issue.severity()).isEqualTo(DiscoveryIssue.Severity.WARNING);
            assertThat(issue.message()).contains("memory = \"lots\"").contains("memory = \"2g\"");
            assertThat(issue.source())
                    .contains(org.junit.platform.engine.support.descriptor.ClassSource.from(
                            FIXTURES + "BadMemoryFixture"));
        });
    }

    @Test
    void mixedModeIgnoresUnannotatedClasses() {
        TestDescriptor engine = discover(Map.of(), selectClass(FIXTURES + "PlainJupiterFixture"));

        assertThat(engine.getChildren()).isEmpty();
    }

    @Test
    void strictModeOnTheHostIsRefusedNotDiscovered() {
        MicroVmSandboxEngine engine = new MicroVmSandboxEngine(config -> {
            throw new AssertionError("discovery must not start sandboxes");
        });
        org.junit.platform.launcher.LauncherDiscoveryRequest request =
                org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder.request()
                        .selectors(selectClass(FIXTURES + "PlainJupiterFixture"))
                        .configurationParameter("microvm.sandbox.mode", "strict")
                        .build();

        assertThatThrownBy(() -> engine.discover(request, UniqueId.forEngine(MicroVmSandboxEngine.ENGINE_ID)))
                .isInstanceOf(StrictModeGuard.StrictModeOnTheHost.class);
    }

    @Test
    void packageSelectorScansClassFiles() {
        TestDescriptor mixed = discover(Map.of(), selectPackage("dev.microvmsandbox.fixtures"));

        assertThat(names(mixed))
                .contains(
                        FIXTURES + "StaticInitialiserFixture",
                        FIXTURES + "SubclassOfSandboxedFixture",
                        FIXTURES + "GuestBehaviourFixture",
                        FIXTURES + "HostileDiscoveryFixture")
                .doesNotContain(
                        FIXTURES + "PlainJupiterFixture",
                        FIXTURES + "GuestBehaviourFixture$NestedCases",
                        FIXTURES + "NotATestFixture");
    }

    private static final String BEHAVIOUR = FIXTURES + "GuestBehaviourFixture";
    private static final String GUEST_CLASS = "[engine:junit-jupiter]/[class:" + BEHAVIOUR + "]";

    @Test
    void aClassExpandsToTheTestsJupiterWouldFindAndRunsWhole() {
        SandboxedClassDescriptor d = onlyClass(discover(Map.of(), selectClass(BEHAVIOUR)));

        assertThat(d.isModelled()).isTrue();
        assertThat(d.getChildren().stream()
                        .map(c -> c.getUniqueId().getLastSegment().getType() + ":"
                                + c.getUniqueId().getLastSegment().getValue()))
                .contains(
                        "method:passes()",
                        "test-template:parameterized(int)",
                        "test-factory:dynamicTests()",
                        "nested-class:NestedCases");
        assertThat(d.guestSelection().classNames()).containsExactly(BEHAVIOUR);
        assertThat(d.guestSelection().uniqueIds()).isEmpty();
    }

    @Test
    void aMethodSelectorSelectsThatMethodOnly() {
        SandboxedClassDescriptor d = onlyClass(discover(Map.of(), selectMethod(BEHAVIOUR, "parameterized", "int")));

        assertThat(d.getChildren())
                .singleElement()
                .satisfies(
                        m -> assertThat(m.getSource()).contains(MethodSource.from(BEHAVIOUR, "parameterized", "int")));
        assertThat(d.guestSelection().classNames()).isEmpty();
        assertThat(d.guestSelection().uniqueIds()).containsExactly(GUEST_CLASS + "/[test-template:parameterized(int)]");
    }

    @Test
    void aNestedClassSelectorSelectsItUnderItsEnclosingClass() {
        SandboxedClassDescriptor d = onlyClass(discover(Map.of(), selectClass(BEHAVIOUR + "$NestedCases")));

        assertThat(d.className()).isEqualTo(BEHAVIOUR);
        assertThat(d.getChildren())
                .singleElement()
                .satisfies(n -> assertThat(n.getChildren()).hasSize(1));
        assertThat(d.guestSelection().uniqueIds())
                .containsExactly(GUEST_CLASS + "/[nested-class:NestedCases]/[method:nestedPasses()]");
    }

    @Test
    void aUniqueIdSelectorMapsToTheGuestsJupiterId() {
        UniqueId hostId = UniqueId.parse("[engine:microvm-sandbox]/[class:" + BEHAVIOUR
                + "]/[nested-class:NestedCases]/[method:nestedPasses()]");

        SandboxedClassDescriptor d = onlyClass(discover(Map.of(), selectUniqueId(hostId)));

        assertThat(d.guestSelection().uniqueIds())
                .containsExactly(GUEST_CLASS + "/[nested-class:NestedCases]/[method:nestedPasses()]");
    }

    @Test
    void aUniqueIdOfOneInvocationRunsThatInvocationOnly() {
        UniqueId hostId = UniqueId.parse("[engine:microvm-sandbox]/[class:" + BEHAVIOUR
                + "]/[test-template:parameterized(int)]/[test-template-invocation:#2]");

        SandboxedClassDescriptor d = onlyClass(discover(Map.of(), selectUniqueId(hostId)));

        assertThat(d.guestSelection().uniqueIds())
                .containsExactly(GUEST_CLASS + "/[test-template:parameterized(int)]/[test-template-invocation:#2]");
    }

    @Test
    void wholeClassSelectionWins() {
        SandboxedClassDescriptor d =
                onlyClass(discover(Map.of(), selectMethod(BEHAVIOUR, "passes", ""), selectClass(BEHAVIOUR)));

        assertThat(d.guestSelection().classNames()).containsExactly(BEHAVIOUR);
        assertThat(d.guestSelection().uniqueIds()).isEmpty();
    }

    @Test
    void everySelectorIsReportedAsResolvedOrNot() {
        List<String> processed = new java.util.ArrayList<>();
        org.junit.platform.launcher.LauncherDiscoveryListener listener =
                new org.junit.platform.launcher.LauncherDiscoveryListener() {
                    @Override
                    public void selectorProcessed(
                            UniqueId engineId,
                            DiscoverySelector selector,
                            org.junit.platform.engine.SelectorResolutionResult result) {
                        processed.add(selector.getClass().getSimpleName() + " " + result.getStatus());
                    }
                };
        org.junit.platform.launcher.core.LauncherFactory.create()
                .discover(org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder.request()
                        .selectors(
                                selectMethod(BEHAVIOUR, "passes", ""),
                                selectClass(FIXTURES + "PlainJupiterFixture"),
                                selectMethod(BEHAVIOUR, "noSuchMethod", ""))
                        .filters(
                                org.junit.platform.launcher.EngineFilter.includeEngines(MicroVmSandboxEngine.ENGINE_ID))
                        .listeners(listener)
                        .build());

        assertThat(processed)
                .containsExactly(
                        "MethodSelector RESOLVED",
                        "ClassSelector UNRESOLVED",
                        "MethodSelector UNRESOLVED",
                        "UniqueIdSelector RESOLVED");
    }

    @Test
    void runsNoneOfWhatJupitersDiscoveryWouldRun() {
        // markers from the static initialiser, the annotation's enum, the orderer, the display-name
        // generator and the extensions would appear here; the check is in noFixtureCodeRanOnTheHost
        SandboxedClassDescriptor d = onlyClass(discover(Map.of(), selectClass(FIXTURES + "HostileDiscoveryFixture")));

        assertThat(d.getSource())
                .get()
                .hasToString(org.junit.platform.engine.support.descriptor.ClassSource.from(
                                FIXTURES + "HostileDiscoveryFixture")
                        .toString());
    }

    @Test
    void discoversNothingInsideTheGuest() {
        System.setProperty(MicroVmSandboxEngine.GUEST_PROPERTY, "true");
        try {
            assertThat(discover(Map.of(), selectClass(FIXTURES + "StaticInitialiserFixture"))
                            .getChildren())
                    .isEmpty();
        } finally {
            System.clearProperty(MicroVmSandboxEngine.GUEST_PROPERTY);
        }
    }

    private static TestDescriptor discover(Map<String, String> parameters, DiscoverySelector... selectors) {
        return EngineTestKit.engine(new MicroVmSandboxEngine(config -> {
                    throw new AssertionError("discovery must not start sandboxes");
                }))
                .configurationParameters(parameters)
                .selectors(selectors)
                .discover()
                .getEngineDescriptor();
    }

    private static SandboxedClassDescriptor onlyClass(TestDescriptor engine) {
        assertThat(engine.getChildren()).hasSize(1);
        return (SandboxedClassDescriptor) engine.getChildren().iterator().next();
    }

    private static List<String> names(TestDescriptor engine) {
        return engine.getChildren().stream()
                .map(d -> ((SandboxedClassDescriptor) d).className())
                .collect(Collectors.toList());
    }
}
