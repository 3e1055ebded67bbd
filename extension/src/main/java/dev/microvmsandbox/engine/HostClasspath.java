package dev.microvmsandbox.engine;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The host's test classpath, which the guest JVM runs with. */
final class HostClasspath {

    private static final Logger LOG = LoggerFactory.getLogger(HostClasspath.class);

    private HostClasspath() {}

    static List<Path> current() {
        String surefire = System.getProperty("surefire.test.class.path");
        String text = surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path", "");
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

    /** The host's Java home when the guest must run it: the image ships Java 17 only. */
    static Path javaHomeForGuest() {
        return Runtime.version().feature() > 17 ? Path.of(System.getProperty("java.home")) : null;
    }
}
