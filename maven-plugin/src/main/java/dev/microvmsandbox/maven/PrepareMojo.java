package dev.microvmsandbox.maven;

import dev.microvmsandbox.fork.ForkSettings;
import dev.microvmsandbox.settings.ProjectSettings;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.maven.artifact.Artifact;
import org.apache.maven.execution.MavenSession;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugin.descriptor.PluginDescriptor;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;
import org.apiguardian.api.API;

/**
 * Makes Surefire and Failsafe fork their test JVM into a sandbox: writes the fork launcher's script
 * ({@code target/microvm-sandbox/bin/java}) and settings file, and sets the project property
 * {@code jvm}, which both plugins read for their {@code jvm} parameter (the way jacoco's
 * {@code prepare-agent} sets {@code argLine}). Fails the build when the pom or the command line would
 * keep a fork out of the sandbox ({@code forkCount=0}, a {@code jvm} of its own).
 *
 * <p>Every setting comes from this plugin's configuration in the pom or from {@code -Dmicrovm.sandbox.*}
 * on Maven's command line (or the pom's properties): trusted build configuration, never test resources.
 */
@Mojo(name = "prepare", defaultPhase = LifecyclePhase.INITIALIZE, threadSafe = true)
@API(status = API.Status.INTERNAL)
public class PrepareMojo extends AbstractMojo {

    /** The property Surefire's and Failsafe's {@code jvm} parameter reads. */
    static final String JVM_PROPERTY = "jvm";

    @Parameter(defaultValue = "${project}", readonly = true, required = true)
    private MavenProject project;

    @Parameter(defaultValue = "${session}", readonly = true, required = true)
    private MavenSession session;

    @Parameter(defaultValue = "${plugin}", readonly = true, required = true)
    private PluginDescriptor plugin;

    /** Where the script, its {@code release} file and the settings go. */
    @Parameter(defaultValue = "${project.build.directory}/microvm-sandbox", required = true)
    private File outputDirectory;

    /** Guest memory per fork, like {@code 2g}. */
    @Parameter(property = "microvm.sandbox.memory")
    private String memory;

    /** vCPUs per fork. */
    @Parameter(property = "microvm.sandbox.cpus")
    private String cpus;

    /** Wall-clock limit of one forked JVM (with {@code reuseForks=false}: of one test class); default 2h. */
    @Parameter(property = "microvm.sandbox.timeout")
    private String timeout;

    /** The guest's scratch disk, which holds everything it writes. */
    @Parameter(property = "microvm.sandbox.disk")
    private String disk;

    /** How long a guest may take to boot before its fork fails; default 10m. */
    @Parameter(property = "microvm.sandbox.bootTimeout")
    private String bootTimeout;

    /** {@code auto}, {@code kvm} or {@code tcg}. */
    @Parameter(property = "microvm.sandbox.accelerator")
    private String accelerator;

    /** Refuse to run without KVM (TCG is no security boundary). */
    @Parameter(property = "microvm.sandbox.requireKvm")
    private String requireKvm;

    /** The backend ({@code auto}, {@code qemu}). */
    @Parameter(property = "microvm.sandbox.backend")
    private String backend;

    /**
     * Container images loaded into every fork's sandbox before the tests start, in the annotation's
     * syntax: {@code docker-archive:PATH}, {@code oci-archive:PATH} (relative to the project) or an
     * image name exported from the host's Docker or podman.
     */
    @Parameter(property = "microvm.sandbox.images")
    private List<String> images;

    /** {@code NAME=value} for every guest process; a bare {@code NAME} passes the host's value of it. */
    @Parameter(property = "microvm.sandbox.env")
    private List<String> env;

    /**
     * Host system properties of the fork (Maven's {@code -D} values) passed to the guest, {@code *} a
     * wildcard; those the pom's Surefire or Failsafe configuration sets pass without being named.
     */
    @Parameter(property = "microvm.sandbox.systemProperties")
    private List<String> systemProperties;

    /**
     * How many sandboxes a fork's test classes are split over at once: {@code N}, or {@code NC} for N
     * per CPU core of the host (Surefire's syntax). Give it here, not to Surefire or Failsafe: their own
     * {@code forkCount} above 1 lists the test classes by loading them in Maven's JVM.
     */
    @Parameter(property = "microvm.sandbox.forkCount", defaultValue = "1")
    private String forkCount;

    /**
     * {@code false} gives each test class a fresh sandbox of its own ({@code forkCount} at once);
     * {@code true} (the default) runs a sandbox's share of the classes in one JVM. Give it here, not to
     * Surefire or Failsafe, for the reason {@code forkCount} gives.
     */
    @Parameter(property = "microvm.sandbox.reuseForks", defaultValue = "true")
    private String reuseForks;

    /**
     * The project property that gets the launcher script's path. Surefire and Failsafe read
     * {@code jvm}, so by default every fork runs in a sandbox. Another name leaves every execution on
     * the host but those that say {@code <jvm>${thatName}</jvm>}: for builds that compare a plain run
     * with a sandboxed one, never for untrusted tests.
     */
    @Parameter(property = "microvm.sandbox.jvmProperty", defaultValue = JVM_PROPERTY)
    private String jvmProperty;

    /** Options of the launcher's own JVM on the host (not the fork's: that is {@code argLine}). */
    @Parameter(property = "microvm.sandbox.launcherJvmOptions")
    private List<String> launcherJvmOptions;

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        List<String> problems =
                new ArrayList<>(TestPluginConfiguration.of(project.getBuildPlugins(), project.getBasedir())
                        .problems());
        String userJvm = session.getUserProperties().getProperty(JVM_PROPERTY);
        if (userJvm != null) {
            problems.add("-Djvm=" + userJvm + " on the command line overrides the sandbox's launcher: leave it out");
        }
        String userForkCount = session.getUserProperties().getProperty("forkCount");
        if (userForkCount != null && userForkCount.trim().matches("0+(\\.0*)?C?")) {
            problems.add("-DforkCount=" + userForkCount + " runs the tests in Maven's own JVM, outside any sandbox: "
                    + "leave it out");
        }
        if (userForkCount != null && !userForkCount.trim().matches("0+(\\.0*)?C?|1")) {
            problems.add("-DforkCount=" + userForkCount + ": " + TestPluginConfiguration.IN_MAVENS_JVM
                    + ". Leave it out; -Dmicrovm.sandbox.forkCount=" + userForkCount
                    + " splits the classes over sandboxes instead");
        }
        String userReuse = session.getUserProperties().getProperty("reuseForks");
        if (userReuse != null && userReuse.trim().equals("false")) {
            problems.add("-DreuseForks=false: " + TestPluginConfiguration.IN_MAVENS_JVM
                    + ". Leave it out; -Dmicrovm.sandbox.reuseForks=false gives each class a sandbox instead");
        }
        if (!problems.isEmpty()) {
            throw new MojoFailureException(
                    "microvm-sandbox: the tests would not run in a sandbox:\n  - " + String.join("\n  - ", problems));
        }
        TestPluginConfiguration tests = TestPluginConfiguration.of(project.getBuildPlugins(), project.getBasedir());
        AnnotationProcessing.warning(project.getBuildPlugins()).ifPresent(w -> getLog().warn("microvm-sandbox: " + w));

        Path folder = outputDirectory.toPath().toAbsolutePath();
        Path javaHome = Path.of(System.getProperty("java.home"));
        Path settingsFile = folder.resolve("settings.properties");
        try {
            ForkSettings.Builder settings =
                    ForkSettings.builder(project.getBasedir().toPath().toAbsolutePath(), javaHome);
            for (Map.Entry<String, String> e : sandboxSettings().entrySet()) {
                settings.sandbox(e.getKey(), e.getValue());
            }
            settings.forks(
                    ForkSettings.forkCount(forkCount, Runtime.getRuntime().availableProcessors()),
                    ForkSettings.reuseForks(reuseForks));
            tests.systemProperties().forEach(settings::pomSystemProperty);
            tests.systemPropertiesFiles().forEach(settings::pomSystemPropertiesFile);
            tests.environment()
                    .forEach((name, values) -> values.forEach(v -> settings.pomEnvironmentVariable(name, v)));
            settings.build().write(settingsFile);
            Path script = LauncherScript.write(
                    folder,
                    javaHome,
                    launcherClasspath(),
                    launcherJvmOptions == null || launcherJvmOptions.isEmpty()
                            ? LauncherScript.DEFAULT_JVM_OPTIONS
                            : launcherJvmOptions,
                    settingsFile);
            project.getProperties().setProperty(jvmProperty, script.toString());
            getLog().info(
                            jvmProperty.equals(JVM_PROPERTY)
                                    ? "microvm-sandbox: Surefire and Failsafe fork into a sandbox (jvm=" + script + ")"
                                    : "microvm-sandbox: executions with <jvm>${" + jvmProperty
                                            + "}</jvm> fork into a sandbox (" + script
                                            + "); the others run on this host");
        } catch (IllegalArgumentException e) {
            throw new MojoFailureException("microvm-sandbox: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new MojoExecutionException("microvm-sandbox: cannot write " + folder + ": " + e.getMessage(), e);
        }
    }

    /** The {@code microvm.sandbox.*} values given, lists joined the way the settings file keeps them. */
    private Map<String, String> sandboxSettings() {
        Map<String, String> values = new java.util.LinkedHashMap<>();
        values.put(ProjectSettings.MEMORY, memory);
        values.put(ProjectSettings.CPUS, cpus);
        values.put(ProjectSettings.TIMEOUT, timeout);
        values.put(ProjectSettings.DISK, disk);
        values.put(ProjectSettings.BOOT_TIMEOUT, bootTimeout);
        values.put(ProjectSettings.ACCELERATOR, accelerator);
        values.put(ProjectSettings.REQUIRE_KVM, requireKvm);
        values.put(ProjectSettings.BACKEND, backend);
        values.put(ProjectSettings.IMAGES, list(images));
        values.put(ProjectSettings.ENV, list(env));
        values.put(ProjectSettings.SYSTEM_PROPERTIES, list(systemProperties));
        values.values().removeIf(v -> v == null || v.isBlank());
        return values;
    }

    private static String list(List<String> entries) {
        return entries == null
                ? null
                : ProjectSettings.joinList(entries.stream()
                        .map(String::trim)
                        .filter(e -> !e.isEmpty())
                        .toList());
    }

    /** The plugin's own resolved runtime artifacts: the library, its dependencies and the log binding. */
    private List<File> launcherClasspath() throws MojoExecutionException {
        List<File> files = new ArrayList<>();
        for (Artifact a : plugin.getArtifacts()) {
            Optional.ofNullable(a.getFile()).ifPresent(files::add);
        }
        if (files.stream().noneMatch(f -> f.getName().startsWith("microvm-sandbox-junit"))) {
            throw new MojoExecutionException(
                    "microvm-sandbox: the plugin's class path lacks microvm-sandbox-junit: " + files);
        }
        return files;
    }
}
