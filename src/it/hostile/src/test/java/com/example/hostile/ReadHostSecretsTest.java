package com.example.hostile;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.microvmsandbox.MicroVmSandbox;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Tries to read the host's secrets. Prints whatever it gets (verify.groovy greps every report for
 * the secrets' content and compares hashes with the host's files) and asserts it got nothing.
 */
@MicroVmSandbox(memory = "1g", timeout = "5m")
class ReadHostSecretsTest {

    @Test
    void plantedSecretFileIsNotReachable() throws Exception {
        Path secret = Path.of(Host.get("secret.path"));
        Host.report("secret-file path=" + secret + " exists=" + Files.exists(secret));
        if (Files.isReadable(secret)) {
            Host.report("secret-file content=" + Files.readString(secret));
        }
        // look for it anywhere in the guest's file system
        List<Path> found = new ArrayList<>();
        Files.walkFileTree(Path.of("/"), new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                String d = dir.toString();
                return d.equals("/proc") || d.equals("/sys") || d.equals("/dev")
                        ? FileVisitResult.SKIP_SUBTREE
                        : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (file.getFileName() != null && file.getFileName().toString().startsWith("microvm-hostile-secret")) {
                    found.add(file);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) {
                return FileVisitResult.CONTINUE;
            }
        });
        for (Path f : found) {
            Host.report("secret-file found=" + f + " content=" + Host.hashOf(f) + " " + safeRead(f));
        }
        assertFalse(Files.exists(secret), "the host's secret file is visible at " + secret);
        assertTrue(found.isEmpty(), "files named like the host's secret: " + found);
    }

    @Test
    void hostShadowIsNotTheGuests() {
        Path shadow = Path.of("/etc/shadow");
        // verify.groovy compares this hash with the host's /etc/shadow
        Host.report("SHADOW-SHA256=" + Host.hashOf(shadow));
    }

    @Test
    void mavenSettingsAreNotReachable() {
        List<Path> candidates = List.of(
                Path.of(System.getProperty("user.home"), ".m2", "settings.xml"),
                Path.of("/root/.m2/settings.xml"),
                Path.of(Host.get("host.user.home"), ".m2", "settings.xml"),
                Path.of(Host.get("host.user.home"), ".m2", "settings-security.xml"));
        for (Path p : candidates) {
            Host.report("M2-SETTINGS path=" + p + " exists=" + Files.exists(p) + " sha256=" + Host.hashOf(p));
        }
        for (Path p : candidates) {
            assertFalse(Files.exists(p), p + " is visible in the sandbox");
        }
    }

    @Test
    void hostEnvironmentIsNotVisible() throws Exception {
        for (Map.Entry<String, String> e : System.getenv().entrySet()) {
            Host.report("ENV " + e.getKey() + "=" + e.getValue());
        }
        // every process's environment, in case the agent or init kept something
        StringBuilder all = new StringBuilder();
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>)
                    procs.filter(p -> p.getFileName().toString().matches("\\d+"))::iterator) {
                all.append(safeRead(p.resolve("environ")).replace('\0', ' ')).append('\n');
            }
        }
        Host.report("PROC-ENVIRON " + all.toString().replace('\n', '|'));
        assertNull(System.getenv("HOSTILE_SECRET"), "the host's HOSTILE_SECRET reached the sandbox");
        assertFalse(all.toString().contains("HOSTILE_SECRET"), "a guest process has HOSTILE_SECRET in its environment");
    }

    private static String safeRead(Path p) {
        try {
            byte[] b = Files.readAllBytes(p);
            return new String(b, 0, Math.min(b.length, 4096), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }
}
