package dev.microvmsandbox.guest;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The host's read-only classpath share ({@value #TAG}, at {@value #DIR}) and the agent's class
 * path: the agent starts with its own jars only (so a template can hold it before any host's
 * classpath exists), and takes the test classpath from the share when the host attaches.
 *
 * <p>The entries go to the end of the JVM's application class path, the one class loader the
 * agent and the tests share, as if they had been on {@code -cp} from the start. That needs
 * {@code --add-opens java.base/jdk.internal.loader=ALL-UNNAMED}, which the agent's JVM gets.
 */
final class ClasspathShare {

    static final String TAG = "msb-cp";
    static final String DIR = "/run/msb/cp";
    /** The test classpath's entries in the share, one guest path a line. */
    static final String LIST = "agent.classpath";
    /** The host configuration's system properties for the agent's JVM ({@link java.util.Properties} format). */
    static final String PROPERTIES = "agent.properties";

    private static final int MAX_ENTRIES = 10_000;

    private ClasspathShare() {}

    /** Mounts the share (unless the bootstrap did) and appends the entries it lists; returns them. */
    static List<String> attach() throws IOException, InterruptedException {
        if (!mounted(Path.of(DIR))) {
            mount();
        }
        List<String> entries = entries(Path.of(DIR, LIST));
        append(entries);
        applyProperties(Path.of(DIR, PROPERTIES));
        return entries;
    }

    /**
     * Sets the system properties the file lists, as {@code -D} options would have at the JVM's
     * start: the agent's JVM started before this sandbox's configuration existed.
     */
    static void applyProperties(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return;
        }
        java.util.Properties properties = new java.util.Properties();
        try (java.io.InputStream in = Files.newInputStream(file)) {
            properties.load(in);
        }
        for (String name : properties.stringPropertyNames()) {
            System.setProperty(name, properties.getProperty(name));
        }
    }

    /** The listed entries that lie inside the share; anything else is refused. */
    static List<String> entries(Path list) throws IOException {
        if (!Files.isRegularFile(list)) {
            return List.of();
        }
        List<String> entries = new ArrayList<>();
        for (String line : Files.readAllLines(list, StandardCharsets.UTF_8)) {
            String entry = line.strip();
            if (entry.isEmpty()) {
                continue;
            }
            Path p = Path.of(entry).normalize();
            if (!p.isAbsolute() || !p.startsWith(DIR) || p.equals(Path.of(DIR))) {
                throw new IOException("classpath entry outside " + DIR + ": " + entry);
            }
            if (entries.size() == MAX_ENTRIES) {
                throw new IOException("more than " + MAX_ENTRIES + " classpath entries");
            }
            entries.add(p.toString());
        }
        return entries;
    }

    /** Adds the entries not yet on the application class path, in order, and to {@code java.class.path}. */
    static void append(List<String> entries) throws IOException {
        String current = System.getProperty("java.class.path", "");
        Set<String> present = new LinkedHashSet<>(List.of(current.split(File.pathSeparator)));
        List<String> added = new ArrayList<>();
        ClassLoader app = ClassLoader.getSystemClassLoader();
        Method appendTo;
        try {
            appendTo = app.getClass().getDeclaredMethod("appendToClassPathForInstrumentation", String.class);
            appendTo.setAccessible(true);
        } catch (NoSuchMethodException | RuntimeException e) {
            throw new IOException("this JVM's class path cannot grow (" + e + "); the agent needs "
                    + "--add-opens java.base/jdk.internal.loader=ALL-UNNAMED");
        }
        for (String entry : entries) {
            if (present.add(entry)) {
                try {
                    appendTo.invoke(app, entry);
                } catch (IllegalAccessException | InvocationTargetException e) {
                    throw new IOException("cannot add " + entry + " to the class path: " + e);
                }
                added.add(entry);
            }
        }
        if (!added.isEmpty()) {
            String joined = String.join(File.pathSeparator, added);
            System.setProperty("java.class.path", current.isEmpty() ? joined : current + File.pathSeparator + joined);
        }
    }

    static boolean mounted(Path dir) throws IOException {
        String target = dir.toString();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
            String[] f = line.split(" ");
            if (f.length > 4 && f[4].equals(target)) {
                return true;
            }
        }
        return false;
    }

    private static void mount() throws IOException, InterruptedException {
        Files.createDirectories(Path.of(DIR));
        try {
            GuestCommand.run(
                    List.of(
                            "mount",
                            "-t",
                            "9p",
                            "-o",
                            "trans=virtio,version=9p2000.L,msize=512000,cache=loose,ro",
                            TAG,
                            DIR),
                    new byte[0],
                    Duration.ofSeconds(60));
        } catch (IOException e) {
            throw new IOException("cannot mount the classpath share " + TAG + " at " + DIR + ": " + e.getMessage(), e);
        }
    }
}
