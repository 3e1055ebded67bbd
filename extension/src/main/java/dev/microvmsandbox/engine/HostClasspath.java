package dev.microvmsandbox.engine;

import java.io.File;
import java.io.IOException;
import java.net.JarURLConnection;
import java.net.URI;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The classpath the guest JVM runs with: the host's test classpath, plus what the guest's JUnit
 * needs and the test classpath lacks.
 *
 * <p>Surefire puts the Jupiter engine on its provider's classpath when a project declares only
 * {@code junit-jupiter-api}, not on {@code surefire.test.class.path}; IDEs do likewise. The guest
 * then gets the engine (and the platform jars and opentest4j, if those are missing too) from the
 * host JVM's own class path, the one whose version is the API's.
 */
final class HostClasspath {

    private static final Logger LOG = LoggerFactory.getLogger(HostClasspath.class);
    private static final String JUPITER_API = "org/junit/jupiter/api/Test.class";
    private static final String JUPITER_ENGINE = "org/junit/jupiter/engine/JupiterTestEngine.class";
    /** What the guest's launcher needs besides the engine, each by a class only its jar has. */
    private static final Map<String, String> PLATFORM = Map.of(
            "junit-platform-engine", "org/junit/platform/engine/TestEngine.class",
            "junit-platform-commons", "org/junit/platform/commons/util/ReflectionUtils.class",
            "junit-platform-launcher", "org/junit/platform/launcher/core/LauncherFactory.class",
            "opentest4j", "org/opentest4j/AssertionFailedError.class");

    /**
     * @param entries what the guest JVM runs with
     * @param problem why Jupiter cannot run in the guest with them, or {@code null}
     */
    record ForGuest(List<Path> entries, String problem) {
        Optional<String> problemIfAny() {
            return Optional.ofNullable(problem);
        }
    }

    private HostClasspath() {}

    /** This JVM's test classpath, completed from its own class loaders. */
    static ForGuest forGuest() {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        List<ClassLoader> host = new ArrayList<>();
        if (context != null) {
            host.add(context);
        }
        host.add(HostClasspath.class.getClassLoader());
        return forGuest(
                System.getProperty("surefire.test.class.path"), System.getProperty("java.class.path", ""), host);
    }

    /**
     * @param surefireClassPath the test classpath a Surefire fork names, or {@code null}
     * @param javaClassPath     the JVM's class path, used when there is no Surefire one
     * @param host              where the host JVM finds classes that the test classpath lacks
     */
    static ForGuest forGuest(String surefireClassPath, String javaClassPath, List<ClassLoader> host) {
        List<Path> entries = new ArrayList<>(testClasspath(surefireClassPath, javaClassPath));
        Map<String, Optional<Path>> holders = new LinkedHashMap<>();
        for (String resource : List.of(JUPITER_API, JUPITER_ENGINE)) {
            holders.put(resource, holder(entries, resource));
        }
        Optional<Path> api = holders.get(JUPITER_API);
        if (api.isEmpty() || holders.get(JUPITER_ENGINE).isPresent()) {
            // no Jupiter at all is not ours to fix; with an engine the project chose its own
            return new ForGuest(List.copyOf(entries), null);
        }
        String apiVersion = version(api.get()).orElse(null);
        List<Path> engines = onHost(host, JUPITER_ENGINE);
        Optional<Path> engine = engines.stream()
                .filter(e ->
                        apiVersion == null || version(e).map(apiVersion::equals).orElse(true))
                .findFirst();
        if (engine.isEmpty()) {
            return new ForGuest(List.copyOf(entries), noEngine(apiVersion, engines));
        }
        entries.add(engine.get());
        LOG.debug("the test classpath has no Jupiter engine; the guest gets {} from the host JVM", engine.get());
        for (Map.Entry<String, String> jar : PLATFORM.entrySet()) {
            if (holder(entries, jar.getValue()).isEmpty()) {
                onHost(host, jar.getValue()).stream().findFirst().ifPresent(entries::add);
            }
        }
        return new ForGuest(List.copyOf(entries), null);
    }

    private static String noEngine(String apiVersion, List<Path> engines) {
        String version = apiVersion == null ? "the version of your junit-jupiter-api" : apiVersion;
        String found = engines.isEmpty()
                ? "none is on the host JVM's class path either"
                : "the host JVM has only "
                        + engines.stream()
                                .map(e -> e.getFileName() + " (" + version(e).orElse("version unknown") + ")")
                                .toList();
        return "the test classpath has junit-jupiter-api " + (apiVersion == null ? "" : apiVersion + " ")
                + "but no Jupiter engine for the sandbox's JVM, and " + found
                + ". Fix: add the test dependency org.junit.jupiter:junit-jupiter-engine:" + version
                + " (or org.junit.jupiter:junit-jupiter, which brings it)";
    }

    static List<Path> testClasspath(String surefireClassPath, String javaClassPath) {
        String text = surefireClassPath != null && !surefireClassPath.isBlank() ? surefireClassPath : javaClassPath;
        List<Path> entries = new ArrayList<>();
        for (String part : text.split(File.pathSeparator)) {
            if (!part.isBlank()) {
                entries.add(Path.of(part).toAbsolutePath());
            }
        }
        if (entries.size() == 1 && entries.get(0).toString().endsWith(".jar")) {
            List<Path> expanded = manifestClassPath(entries.get(0));
            if (!expanded.isEmpty()) {
                return expanded;
            }
        }
        return entries.stream().filter(Files::exists).toList();
    }

    /** Surefire and IDEs shorten long classpaths into one jar whose manifest names the real entries. */
    private static List<Path> manifestClassPath(Path jar) {
        try (JarFile file = new JarFile(jar.toFile())) {
            Manifest manifest = file.getManifest();
            String classPath =
                    manifest == null ? null : manifest.getMainAttributes().getValue("Class-Path");
            if (classPath == null || file.stream().anyMatch(e -> e.getName().endsWith(".class"))) {
                return List.of();
            }
            List<Path> entries = new ArrayList<>();
            for (String url : classPath.trim().split("\\s+")) {
                URI resolved = jar.toUri().resolve(url);
                Path entry = Path.of(resolved);
                if (Files.exists(entry)) {
                    entries.add(entry);
                }
            }
            return entries;
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot read the classpath of {}: {}", jar, e.toString());
            return List.of();
        }
    }

    /** The first entry (a folder or a jar) that has {@code resource}. */
    private static Optional<Path> holder(List<Path> entries, String resource) {
        for (Path entry : entries) {
            if (Files.isDirectory(entry)) {
                if (Files.isRegularFile(entry.resolve(resource))) {
                    return Optional.of(entry);
                }
            } else if (Files.isRegularFile(entry)) {
                try (JarFile jar = new JarFile(entry.toFile())) {
                    if (jar.getEntry(resource) != null) {
                        return Optional.of(entry);
                    }
                } catch (IOException e) {
                    LOG.debug("cannot read {}: {}", entry, e.toString());
                }
            }
        }
        return Optional.empty();
    }

    /** The jars of the host's class loaders that have {@code resource}, in the loaders' order. */
    private static List<Path> onHost(List<ClassLoader> loaders, String resource) {
        List<Path> jars = new ArrayList<>();
        for (ClassLoader loader : loaders) {
            try {
                for (URL url : Collections.list(loader.getResources(resource))) {
                    jarOf(url).filter(j -> !jars.contains(j)).ifPresent(jars::add);
                }
            } catch (IOException e) {
                LOG.debug("cannot look for {}: {}", resource, e.toString());
            }
        }
        return jars;
    }

    private static Optional<Path> jarOf(URL url) {
        try {
            if ("jar".equals(url.getProtocol())) {
                URL jar = ((JarURLConnection) url.openConnection()).getJarFileURL();
                return Optional.of(Path.of(jar.toURI()));
            }
        } catch (IOException | RuntimeException | java.net.URISyntaxException e) {
            LOG.debug("cannot tell the jar of {}: {}", url, e.toString());
        }
        return Optional.empty();
    }

    /** The {@code Implementation-Version} of a jar's manifest, which JUnit's jars carry. */
    private static Optional<String> version(Path jar) {
        if (!Files.isRegularFile(jar)) {
            return Optional.empty();
        }
        try (JarFile file = new JarFile(jar.toFile())) {
            Manifest manifest = file.getManifest();
            return Optional.ofNullable(
                            manifest == null
                                    ? null
                                    : manifest.getMainAttributes().getValue("Implementation-Version"))
                    .map(String::trim);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The host's Java home when the guest must run it: the image ships Java 17 only. */
    static Path javaHomeForGuest() {
        return Runtime.version().feature() > 17 ? Path.of(System.getProperty("java.home")) : null;
    }
}
