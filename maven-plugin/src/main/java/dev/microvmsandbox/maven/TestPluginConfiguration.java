package dev.microvmsandbox.maven;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.maven.model.Plugin;
import org.apache.maven.model.PluginExecution;
import org.codehaus.plexus.util.xml.Xpp3Dom;

/**
 * What the pom's Surefire and Failsafe configuration says that matters to the sandbox: the system
 * properties and environment variables it sets (trusted build configuration the guest fork may
 * inherit), and settings that would keep a fork, or the discovery of test classes, out of the
 * sandbox ({@code forkCount} other than 1, {@code reuseForks=false}, a {@code jvm} of its own). Read from the plugin level and every execution.
 */
final class TestPluginConfiguration {

    static final Set<String> TEST_PLUGINS =
            Set.of("org.apache.maven.plugins:maven-surefire-plugin", "org.apache.maven.plugins:maven-failsafe-plugin");

    private final Set<String> systemProperties = new LinkedHashSet<>();
    private final List<Path> systemPropertiesFiles = new ArrayList<>();
    private final Map<String, List<String>> environment = new LinkedHashMap<>();
    private final List<String> problems = new ArrayList<>();
    private final Set<String> launcherProperties = new LinkedHashSet<>();

    /** Why more than one fork per execution is refused. */
    static final String IN_MAVENS_JVM = "with it Surefire and Failsafe list the test classes before they fork by"
            + " running the JUnit Platform's discovery in Maven's own JVM, on this host (test classes loaded,"
            + " service files and discovery extensions run)";

    static final String SANDBOX_PLUGIN = "dev.microvmsandbox:microvm-sandbox-maven-plugin";

    /** The properties this project's prepare goals put the launcher into: {@code jvm} and any jvmProperty. */
    static Set<String> launcherProperties(List<Plugin> plugins) {
        Set<String> names = new LinkedHashSet<>(Set.of(PrepareMojo.JVM_PROPERTY));
        for (Plugin plugin : plugins) {
            if (!SANDBOX_PLUGIN.equals(plugin.getKey())) {
                continue;
            }
            List<Object> configurations = new ArrayList<>();
            configurations.add(plugin.getConfiguration());
            plugin.getExecutions().forEach(e -> configurations.add(e.getConfiguration()));
            for (Object c : configurations) {
                if (c instanceof Xpp3Dom dom
                        && dom.getChild("jvmProperty") != null
                        && dom.getChild("jvmProperty").getValue() != null) {
                    names.add(dom.getChild("jvmProperty").getValue().trim());
                }
            }
        }
        return names;
    }

    private TestPluginConfiguration() {}

    /**
     * @param plugins the project's build plugins (pluginManagement merged in)
     * @param basedir relative {@code systemPropertiesFile}s are relative to it
     */
    static TestPluginConfiguration of(List<Plugin> plugins, File basedir) {
        TestPluginConfiguration c = new TestPluginConfiguration();
        c.launcherProperties.addAll(launcherProperties(plugins));
        for (Plugin plugin : plugins) {
            if (!TEST_PLUGINS.contains(plugin.getKey())) {
                continue;
            }
            c.read(plugin.getArtifactId(), "", plugin.getConfiguration(), basedir);
            for (PluginExecution execution : plugin.getExecutions()) {
                c.read(
                        plugin.getArtifactId(),
                        " execution " + execution.getId(),
                        execution.getConfiguration(),
                        basedir);
            }
        }
        return c;
    }

    Set<String> systemProperties() {
        return systemProperties;
    }

    List<Path> systemPropertiesFiles() {
        return systemPropertiesFiles;
    }

    Map<String, List<String>> environment() {
        return environment;
    }

    /** Settings that would run tests outside the sandbox, each with what to do about it. */
    List<String> problems() {
        return problems;
    }

    private void read(String plugin, String where, Object configuration, File basedir) {
        if (!(configuration instanceof Xpp3Dom dom)) {
            return;
        }
        Xpp3Dom variables = dom.getChild("systemPropertyVariables");
        if (variables != null) {
            for (Xpp3Dom v : variables.getChildren()) {
                systemProperties.add(v.getName());
            }
        }
        Xpp3Dom properties = dom.getChild("systemProperties");
        if (properties != null) {
            for (Xpp3Dom p : properties.getChildren()) {
                Xpp3Dom name = p.getChild("name");
                if (p.getName().equals("property") && name != null && name.getValue() != null) {
                    systemProperties.add(name.getValue().trim());
                } else {
                    systemProperties.add(p.getName());
                }
            }
        }
        Xpp3Dom file = dom.getChild("systemPropertiesFile");
        if (file != null && file.getValue() != null && !file.getValue().isBlank()) {
            Path p = Path.of(file.getValue().trim());
            systemPropertiesFiles.add(
                    p.isAbsolute() ? p : basedir.toPath().resolve(p).normalize());
        }
        Xpp3Dom env = dom.getChild("environmentVariables");
        if (env != null) {
            for (Xpp3Dom v : env.getChildren()) {
                List<String> values = environment.computeIfAbsent(v.getName(), n -> new ArrayList<>());
                String value = v.getValue() == null ? "" : v.getValue();
                if (!values.contains(value)) {
                    values.add(value);
                }
            }
        }
        Xpp3Dom forkCount = dom.getChild("forkCount");
        if (forkCount != null
                && forkCount.getValue() != null
                && forkCount.getValue().trim().matches("0+(\\.0*)?C?")) {
            problems.add(
                    plugin + where + " sets forkCount=" + forkCount.getValue().trim()
                            + ", which runs the tests in Maven's own JVM, outside any sandbox: remove it (forkCount 1 or more)");
        }
        if (forkCount != null
                && forkCount.getValue() != null
                && !forkCount.getValue().trim().matches("0+(\\.0*)?C?|1")) {
            problems.add(
                    plugin + where + " sets forkCount=" + forkCount.getValue().trim() + ": " + IN_MAVENS_JVM
                            + ". Remove it and give microvm-sandbox-maven-plugin the forkCount instead: it splits the"
                            + " fork's classes over that many sandboxes without loading them here");
        }
        Xpp3Dom reuseForks = dom.getChild("reuseForks");
        if (reuseForks != null
                && "false"
                        .equals(
                                reuseForks.getValue() == null
                                        ? null
                                        : reuseForks.getValue().trim())) {
            problems.add(plugin + where + " sets reuseForks=false: " + IN_MAVENS_JVM
                    + ". Remove it and give microvm-sandbox-maven-plugin reuseForks=false instead: it gives each"
                    + " test class a sandbox of its own without loading the classes here");
        }
        Xpp3Dom forkMode = dom.getChild("forkMode");
        if (forkMode != null && "never".equals(forkMode.getValue())) {
            problems.add(plugin + where + " sets forkMode=never, which runs the tests in Maven's own JVM: remove it");
        }
        Xpp3Dom jvm = dom.getChild("jvm");
        if (jvm != null
                && jvm.getValue() != null
                && launcherProperties.stream()
                        .noneMatch(p -> jvm.getValue().trim().equals("${" + p + "}"))) {
            problems.add(plugin + where + " sets <jvm>" + jvm.getValue().trim() + "</jvm>, which overrides the "
                    + "sandbox's launcher: remove it (the launcher runs the tests on the Java that runs Maven, or "
                    + "the host's Java home shared with the guest when it is newer than 17)");
        }
    }
}
