package dev.microvmsandbox.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.platform.engine.DiscoveryIssue;
import org.junit.platform.engine.TestDescriptor;
import org.junit.platform.engine.UniqueId;
import org.junit.platform.testkit.engine.EngineDiscoveryResults;
import org.junit.platform.testkit.engine.EngineTestKit;

/**
 * The tree the engine builds from class file bytes against the tree Jupiter itself discovers for
 * the same classes (loading them, which is fine for these fixtures): ids, display and legacy
 * names, types, sources and tags must be the same, because host filters and reports see only the
 * engine's tree.
 */
class JupiterModelTest {

    private static final String MODEL = "dev.microvmsandbox.fixtures.model.";

    @ParameterizedTest
    @ValueSource(strings = {"ModelFixture", "Underscore_ModelFixture"})
    void theTreeIsTheOneJupiterDiscovers(String fixture) {
        assertThat(tree(sandboxed(Map.of(), MODEL + fixture))).isEqualTo(tree(jupiter(Map.of(), MODEL + fixture)));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "org.junit.jupiter.api.DisplayNameGenerator$Simple",
                "org.junit.jupiter.api.DisplayNameGenerator$ReplaceUnderscores"
            })
    void followsTheConfiguredDefaultGenerator(String generator) {
        Map<String, String> parameters = Map.of(JupiterModel.DEFAULT_GENERATOR, generator);

        assertThat(tree(sandboxed(parameters, MODEL + "ModelFixture")))
                .isEqualTo(tree(jupiter(parameters, MODEL + "ModelFixture")));
    }

    @Test
    void theTreeHasWhatJupiterRunsAndNothingElse() {
        List<String> ids = tree(sandboxed(Map.of(), MODEL + "ModelFixture")).stream()
                .map(line -> line.substring(0, line.indexOf(" | ")))
                .toList();

        assertThat(ids)
                .contains(
                        "[method:composed()]",
                        "[method:parameters(int, [Ljava.lang.String;, java.util.Map$Entry, [[I, org.junit.jupiter.api.TestInfo)]",
                        "[test-template:parameterized(int)]",
                        "[test-factory:factory()]",
                        "[method:fromInterface()]",
                        "[nested-class:InheritedNested]/[method:insideInherited()]",
                        "[nested-class:Inner]/[nested-class:Deeper]/[method:deepest(java.lang.String)]")
                .noneMatch(id -> id.contains("staticMethod")
                        || id.contains("privateMethod")
                        || id.contains("returnsSomething")
                        || id.contains("factoryWithoutResult")
                        || id.contains("notAnnotated")
                        || id.contains("overriddenWithoutAnnotation")
                        || id.contains("Empty")
                        || id.contains("StaticMember")
                        || id.contains("PrivateNested"));
    }

    @Test
    void aClassWhoseNamesOnlyItsCodeKnowsRunsWholeAndSaysSo() {
        EngineDiscoveryResults results = discover(Map.of(), MODEL + "CustomGeneratorFixture");

        SandboxedClassDescriptor cls = (SandboxedClassDescriptor)
                results.getEngineDescriptor().getChildren().iterator().next();
        assertThat(cls.isModelled()).isFalse();
        assertThat(cls.getChildren()).isEmpty();
        assertThat(cls.guestSelection().classNames()).containsExactly(MODEL + "CustomGeneratorFixture");
        assertThat(results.getDiscoveryIssues()).singleElement().satisfies(issue -> {
            assertThat(issue.severity()).isEqualTo(DiscoveryIssue.Severity.INFO);
            assertThat(issue.message())
                    .contains("runs whole in its sandbox")
                    .contains("CustomGeneratorFixture$Shouting");
        });
    }

    @Test
    void normalisesParameterTypeNamesAsSelectorsWriteThem() {
        assertThat(JupiterModel.parameterTypeNames("int[], java.lang.String[][] ,long,java.util.Map$Entry"))
                .isEqualTo("[I, [[Ljava.lang.String;, long, java.util.Map$Entry");
        assertThat(JupiterModel.parameterTypeNames("")).isEmpty();
    }

    private static TestDescriptor sandboxed(Map<String, String> parameters, String className) {
        return discover(parameters, className).getEngineDescriptor();
    }

    static EngineDiscoveryResults discover(Map<String, String> parameters, String className) {
        return EngineTestKit.engine(new MicroVmSandboxEngine(config -> {
                    throw new AssertionError("discovery must not start sandboxes");
                }))
                .configurationParameters(parameters)
                .selectors(selectClass(className))
                .discover();
    }

    private static TestDescriptor jupiter(Map<String, String> parameters, String className) {
        return EngineTestKit.engine("junit-jupiter")
                .configurationParameters(parameters)
                .selectors(selectClass(className))
                .discover()
                .getEngineDescriptor();
    }

    /** One line per descriptor below the engine: what reports and filters see of it. */
    static TreeSet<String> tree(TestDescriptor engine) {
        TreeSet<String> lines = new TreeSet<>();
        engine.accept(d -> {
            if (d.isRoot()) {
                return;
            }
            List<UniqueId.Segment> segments = new ArrayList<>(d.getUniqueId().getSegments());
            segments.subList(0, 2).clear();
            String id = segments.stream()
                    .map(s -> "[" + s.getType() + ":" + s.getValue() + "]")
                    .collect(Collectors.joining("/"));
            lines.add(id + " | " + d.getDisplayName() + " | " + d.getLegacyReportingName() + " | " + d.getType()
                    + " | " + d.getSource().map(Object::toString).orElse("-") + " | "
                    + d.getTags().stream().map(t -> t.getName()).sorted().toList());
        });
        return lines;
    }
}
