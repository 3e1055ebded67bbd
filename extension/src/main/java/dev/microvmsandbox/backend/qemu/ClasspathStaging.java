package dev.microvmsandbox.backend.qemu;

import dev.microvmsandbox.backend.AgentClasspath;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/**
 * Puts copies of the classpath into one folder that the guest sees read-only, so the guest sees
 * those jars and classes and nothing else of the host. Jars are hard-linked where possible.
 */
final class ClasspathStaging {

    static final String GUEST_DIR = "/run/msb/cp";
    static final String ARGS_FILE = "agent.args";
    /** KEY=VALUE lines the bootstrap adds to the agent's otherwise empty environment. */
    static final String ENV_FILE = "agent.env";
    /** Guest paths the agent adds to its class path when the host attaches (its own jars are on the agent disk). */
    static final String CLASSPATH_FILE = "agent.classpath";
    /**
     * The configuration's system properties, which an agent started from the agent disk (before
     * any host's configuration existed) sets when the host attaches, before any test runs.
     */
    static final String PROPERTIES_FILE = "agent.properties";

    static final String AGENT_MAIN = "dev.microvmsandbox.guest.GuestAgent";

    private ClasspathStaging() {}

    /** Stages {@code classpath} into {@code dir} and writes the agent's JVM argument file there. */
    static void stage(
            List<Path> classpath,
            Path dir,
            List<String> jvmOptions,
            java.util.Map<String, String> env,
            java.util.Map<String, String> systemProperties)
            throws IOException {
        Files.createDirectories(dir);
        List<Path> agentClasspath = AgentClasspath.entries();
        if (classpath.isEmpty()) {
            classpath = agentClasspath;
        }
        List<String> guestEntries = new ArrayList<>();
        List<String> added = new ArrayList<>();
        java.util.Set<Path> agentOwn = new java.util.HashSet<>();
        agentClasspath.forEach(p -> agentOwn.add(p.toAbsolutePath().normalize()));
        int n = 0;
        for (Path entry : classpath) {
            if (!Files.exists(entry)) {
                continue;
            }
            String name =
                    String.format("%03d-%s", n++, safeName(entry.getFileName().toString()));
            Path target = dir.resolve(name);
            if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
                copyTree(entry, target);
            } else if (Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS)) {
                link(entry, target);
            } else {
                continue;
            }
            guestEntries.add(GUEST_DIR + "/" + name);
            if (!agentOwn.contains(entry.toAbsolutePath().normalize())) {
                added.add(GUEST_DIR + "/" + name);
            }
        }
        List<String> lines = new ArrayList<>(jvmOptions);
        lines.add("-cp");
        lines.add(String.join(":", guestEntries));
        lines.add(AGENT_MAIN);
        Files.write(dir.resolve(ARGS_FILE), lines);
        Files.write(dir.resolve(CLASSPATH_FILE), added);
        Files.write(
                dir.resolve(ENV_FILE),
                env.entrySet().stream()
                        .map(e -> e.getKey() + "=" + e.getValue())
                        .toList());
        java.util.Properties properties = new java.util.Properties();
        properties.putAll(systemProperties);
        try (java.io.OutputStream out = Files.newOutputStream(dir.resolve(PROPERTIES_FILE))) {
            properties.store(out, null);
        }
    }

    /** One argument of a JVM argument file, quoted so spaces, quotes and backslashes in it stay as they are. */
    static String quoted(String argument) {
        return "\"" + argument.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    static String safeName(String name) {
        String s = name.replaceAll("[^A-Za-z0-9._-]", "_");
        return s.isEmpty() ? "entry" : s;
    }

    private static void link(Path source, Path target) throws IOException {
        try {
            Files.createLink(target, source);
        } catch (IOException | UnsupportedOperationException e) {
            Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
        }
    }

    /** Copies regular files and folders only: symbolic links are not followed or copied. */
    private static void copyTree(Path source, Path target) throws IOException {
        Files.walkFileTree(source, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Files.createDirectories(target.resolve(source.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (attrs.isRegularFile()) {
                    Files.copy(file, target.resolve(source.relativize(file).toString()));
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
