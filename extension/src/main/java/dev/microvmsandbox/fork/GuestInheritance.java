package dev.microvmsandbox.fork;

import dev.microvmsandbox.settings.ProjectSettings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * What of the host the guest fork inherits. Surefire gives its fork the whole environment of Maven
 * plus its {@code environmentVariables}, and a system properties file holding its
 * {@code systemPropertyVariables}, {@code systemProperties}, {@code systemPropertiesFile}, every user
 * property given to Maven with {@code -D}, {@code basedir} and {@code localRepository}. The rule:
 *
 * <ul>
 *   <li>environment: a variable the pom's Surefire or Failsafe configuration sets (with that value),
 *       and the {@code microvm.sandbox.env} entries; nothing else of the host's environment;</li>
 *   <li>system properties: those the pom's configuration sets (its variables, properties and
 *       properties files), Surefire's own {@code basedir} and {@code localRepository}, the JUnit
 *       Platform's {@code junit.*} configuration parameters, and those
 *       {@code microvm.sandbox.systemProperties} opts in; not the other {@code -D} values Maven was
 *       given.</li>
 * </ul>
 *
 * The pom is trusted build configuration; the host's environment and Maven's command line may hold
 * credentials the tests have no business seeing.
 */
final class GuestInheritance {

    /** Keys Surefire itself always writes into the fork's system properties. */
    static final Set<String> SUREFIRE_KEYS = Set.of("basedir", "localRepository");

    /** What passes and the names of what does not. */
    record Decision(Map<String, String> passed, List<String> withheld) {}

    private GuestInheritance() {}

    static Decision environment(
            Map<String, String> launcherEnvironment, ForkSettings settings, ProjectSettings sandbox) {
        Map<String, String> passed = new LinkedHashMap<>();
        List<String> withheld = new ArrayList<>();
        settings.pomEnvironment().forEach((name, configured) -> {
            String value = launcherEnvironment.get(name);
            if (value == null) {
                return;
            }
            // ${surefire.forkNumber} and the like are replaced per fork: such a value matches any
            boolean matches = configured.contains(value) || configured.stream().anyMatch(c -> c.contains("${"));
            if (matches) {
                passed.put(name, value);
            } else {
                withheld.add(name);
            }
        });
        passed.putAll(sandbox.env());
        return new Decision(passed, withheld);
    }

    static Decision systemProperties(Map<String, String> fromSurefire, ForkSettings settings, ProjectSettings sandbox)
            throws IOException {
        Set<String> configured = new LinkedHashSet<>(settings.pomSystemProperties());
        for (Path file : settings.pomSystemPropertiesFiles()) {
            if (Files.isRegularFile(file)) {
                Properties p = new Properties();
                try (InputStream in = Files.newInputStream(file)) {
                    p.load(in);
                }
                configured.addAll(p.stringPropertyNames());
            }
        }
        Map<String, String> passed = new LinkedHashMap<>();
        List<String> withheld = new ArrayList<>();
        fromSurefire.forEach((key, value) -> {
            if (SUREFIRE_KEYS.contains(key)
                    || configured.contains(key)
                    || key.startsWith("junit.")
                    || sandbox.passesSystemProperty(key)) {
                passed.put(key, value);
            } else {
                withheld.add(key);
            }
        });
        return new Decision(passed, withheld);
    }
}
