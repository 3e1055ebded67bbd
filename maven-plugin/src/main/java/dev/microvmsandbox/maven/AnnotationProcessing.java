package dev.microvmsandbox.maven;

import java.util.List;
import java.util.Optional;
import org.apache.maven.model.Plugin;
import org.apache.maven.model.PluginExecution;
import org.codehaus.plexus.util.xml.Xpp3Dom;

/**
 * Whether compiling the tests may run annotation processors found on the test class path. javac runs
 * every processor a jar on its class path registers in {@code META-INF/services}, on the host, while
 * Maven compiles: test dependencies and test resources are then host code. It does not when
 * {@code proc} is {@code none} or {@code annotationProcessorPaths} (or {@code annotationProcessors})
 * names the processors, for the plugin or its {@code default-testCompile} execution.
 */
final class AnnotationProcessing {

    static final String COMPILER = "org.apache.maven.plugins:maven-compiler-plugin";

    private AnnotationProcessing() {}

    /** A warning for the build log when test compilation discovers processors, else empty. */
    static Optional<String> warning(List<Plugin> plugins) {
        for (Plugin plugin : plugins) {
            if (!COMPILER.equals(plugin.getKey())) {
                continue;
            }
            if (restricted(plugin.getConfiguration())) {
                return Optional.empty();
            }
            for (PluginExecution e : plugin.getExecutions()) {
                if (e.getId().equals("default-testCompile") && restricted(e.getConfiguration())) {
                    return Optional.empty();
                }
            }
        }
        return Optional.of("test sources compile with annotation processing on: javac runs, on this host, every "
                + "processor a jar of the test class path registers (META-INF/services/"
                + "javax.annotation.processing.Processor). Untrusted tests or test dependencies can run code here "
                + "that way. Set <proc>none</proc> for maven-compiler-plugin's testCompile, or name the processors "
                + "in <annotationProcessorPaths>.");
    }

    private static boolean restricted(Object configuration) {
        if (!(configuration instanceof Xpp3Dom dom)) {
            return false;
        }
        Xpp3Dom proc = dom.getChild("proc");
        if (proc != null && "none".equals(trim(proc.getValue()))) {
            return true;
        }
        Xpp3Dom paths = dom.getChild("annotationProcessorPaths");
        if (paths != null && paths.getChildCount() > 0) {
            return true;
        }
        Xpp3Dom processors = dom.getChild("annotationProcessors");
        if (processors != null && processors.getChildCount() > 0) {
            return true;
        }
        Xpp3Dom args = dom.getChild("compilerArgs");
        if (args != null) {
            for (Xpp3Dom a : args.getChildren()) {
                if ("-proc:none".equals(trim(a.getValue()))) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String trim(String s) {
        return s == null ? null : s.trim();
    }
}
