package dev.microvmsandbox.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apiguardian.api.API;
import org.junit.jupiter.api.Test;

/**
 * The package rules each {@code package-info.java} states, checked on the compiled library: which
 * package of this library may use which, no cycle between packages, and every public type marked
 * for what it is (API or internal).
 */
class PackageRulesTest {

    private static final String ROOT = "dev.microvmsandbox";

    /** For each package (relative to {@value #ROOT}, "" for the root), the packages it may use. */
    static final Map<String, Set<String>> MAY_USE = new LinkedHashMap<>();

    static {
        MAY_USE.put("", Set.of());
        MAY_USE.put("channel", Set.of());
        MAY_USE.put("hostfs", Set.of());
        MAY_USE.put("backend", Set.of("channel"));
        MAY_USE.put("settings", Set.of("backend"));
        MAY_USE.put("guestimage", Set.of("backend", "hostfs"));
        MAY_USE.put("containerimage", Set.of("backend", "hostfs"));
        MAY_USE.put("backend.qemu", Set.of("backend", "channel", "guestimage", "hostfs"));
        MAY_USE.put("backend.kata", Set.of("backend", "channel"));
        MAY_USE.put("backend.kata.docker", Set.of("backend", "backend.kata", "guestimage", "containerimage"));
        MAY_USE.put("backend.kata.kubernetes", Set.of("backend", "backend.kata"));
        MAY_USE.put(
                "backend.selection",
                Set.of("backend", "backend.qemu", "backend.kata.docker", "backend.kata.kubernetes"));
        MAY_USE.put("engine", Set.of("", "backend", "backend.selection", "channel", "containerimage", "settings"));
        MAY_USE.put("guest", Set.of("channel"));
        MAY_USE.put("fork", Set.of("backend", "backend.selection", "containerimage", "hostfs", "settings"));
        MAY_USE.put("testcontainers", Set.of());
        MAY_USE.put(
                "cli",
                Set.of(
                        "backend",
                        "backend.qemu",
                        "backend.kata.docker",
                        "backend.kata.kubernetes",
                        "backend.selection",
                        "guestimage",
                        "containerimage",
                        "hostfs"));
    }

    private static final JavaClasses LIBRARY = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .withImportOption(location -> !location.contains("/shaded/"))
            .importPackages(ROOT);

    @Test
    void everyPackageIsInTheRuleTable() {
        Set<String> packages = new TreeSet<>();
        LIBRARY.forEach(c -> packages.add(relative(c.getPackageName())));
        org.assertj.core.api.Assertions.assertThat(MAY_USE.keySet())
                .as("add a new package to MAY_USE and give it a package-info.java")
                .containsAll(packages);
    }

    @Test
    void packagesUseOnlyWhatTheirRulesAllow() {
        for (Map.Entry<String, Set<String>> rule : MAY_USE.entrySet()) {
            List<String> forbidden = new ArrayList<>();
            for (String other : MAY_USE.keySet()) {
                if (!other.equals(rule.getKey()) && !rule.getValue().contains(other)) {
                    forbidden.add(absolute(other));
                }
            }
            noClasses()
                    .that()
                    .resideInAPackage(absolute(rule.getKey()))
                    .should()
                    .dependOnClassesThat()
                    .resideInAnyPackage(forbidden.toArray(String[]::new))
                    .because(absolute(rule.getKey()) + " may use only " + rule.getValue())
                    .check(LIBRARY);
        }
    }

    @Test
    void noCycleBetweenPackages() {
        slices().matching(ROOT + ".(**)").should().beFreeOfCycles().check(LIBRARY);
    }

    @Test
    void everyPublicTypeSaysWhetherItIsApi() {
        classes()
                .that()
                .arePublic()
                .and()
                .areTopLevelClasses()
                .should()
                .beAnnotatedWith(API.class)
                .because("a public type is either the annotation, the backend SPI or marked INTERNAL")
                .check(LIBRARY);
    }

    @Test
    void theGuestAgentNeverUsesTheHostsSide() {
        noClasses()
                .that()
                .resideInAPackage(ROOT + ".guest")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(ROOT + ".engine..", ROOT + ".backend..", ROOT + ".cli..")
                .check(LIBRARY);
    }

    private static String absolute(String relative) {
        return relative.isEmpty() ? ROOT : ROOT + "." + relative;
    }

    private static String relative(String packageName) {
        return packageName.equals(ROOT) ? "" : packageName.substring(ROOT.length() + 1);
    }
}
