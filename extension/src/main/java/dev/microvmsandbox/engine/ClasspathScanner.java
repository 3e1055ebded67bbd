package dev.microvmsandbox.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URI;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Lists class names in classpath roots (folders or jars) by file name alone. */
final class ClasspathScanner {

    private static final Logger LOG = LoggerFactory.getLogger(ClasspathScanner.class);

    private ClasspathScanner() {}

    /** The classes of a package and its subpackages, wherever the loader finds them. */
    static List<String> inPackage(ClassLoader loader, String packageName) {
        String path = packageName.isEmpty() ? "" : packageName.replace('.', '/');
        List<String> names = new ArrayList<>();
        try {
            Enumeration<URL> urls = loader.getResources(path);
            while (urls.hasMoreElements()) {
                URL url = urls.nextElement();
                if ("file".equals(url.getProtocol())) {
                    Path dir = Path.of(url.toURI());
                    Path root = dir;
                    for (int i = 0; !path.isEmpty() && i < path.split("/").length; i++) {
                        root = root.getParent();
                    }
                    names.addAll(inFolder(root, dir));
                } else if ("jar".equals(url.getProtocol())) {
                    JarURLConnection connection = (JarURLConnection) url.openConnection();
                    connection.setUseCaches(false);
                    try (JarFile jar = connection.getJarFile()) {
                        names.addAll(inJar(jar, path.isEmpty() ? "" : path + "/"));
                    }
                }
            }
        } catch (IOException | java.net.URISyntaxException e) {
            LOG.warn("cannot scan package {}: {}", packageName, e.toString());
        }
        return names;
    }

    /** The classes under a classpath root: a folder or a jar. */
    static List<String> inRoot(URI root) {
        try {
            Path path = Path.of(root);
            if (Files.isDirectory(path)) {
                return inFolder(path, path);
            }
            if (Files.isRegularFile(path)) {
                try (JarFile jar = new JarFile(path.toFile())) {
                    return inJar(jar, "");
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot scan classpath root {}: {}", root, e.toString());
        }
        return List.of();
    }

    private static List<String> inFolder(Path root, Path start) throws IOException {
        if (!Files.isDirectory(start)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(start)) {
            return files.filter(Files::isRegularFile)
                    .map(f -> root.relativize(f)
                            .toString()
                            .replace(f.getFileSystem().getSeparator(), "/"))
                    .map(ClasspathScanner::className)
                    .filter(n -> n != null)
                    .toList();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static List<String> inJar(JarFile jar, String prefix) {
        List<String> names = new ArrayList<>();
        for (Enumeration<JarEntry> entries = jar.entries(); entries.hasMoreElements(); ) {
            JarEntry entry = entries.nextElement();
            if (!entry.isDirectory() && entry.getName().startsWith(prefix)) {
                String name = className(entry.getName());
                if (name != null) {
                    names.add(name);
                }
            }
        }
        return names;
    }

    private static String className(String relativePath) {
        if (!relativePath.endsWith(".class")
                || relativePath.endsWith("module-info.class")
                || relativePath.endsWith("package-info.class")
                || relativePath.startsWith("META-INF/")) {
            return null;
        }
        return relativePath
                .substring(0, relativePath.length() - ".class".length())
                .replace('/', '.');
    }
}
