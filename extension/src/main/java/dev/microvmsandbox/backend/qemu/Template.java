package dev.microvmsandbox.backend.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.microvmsandbox.hostfs.ContentDigest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A guest saved after it booted and before it ran anything of a user: its memory (mapped
 * copy-on-write by every clone), its device state (read by qemu's incoming migration), its scratch
 * disk (read-only below each clone's own overlay) and {@value #MANIFEST}, which records the key
 * it was made for and each file's size and time, plus the device state's sha256. A template whose
 * files do not match its manifest is damaged and is never restored.
 */
final class Template {

    static final String MEMORY = "memory";
    static final String STATE = "state";
    static final String SCRATCH = "scratch.ext4";
    static final String MANIFEST = "template.json";
    static final String LAST_USED = "last-used";
    /** What the guest's JUnit warm-up did before the save, one line (not part of the manifest's checks). */
    static final String WARMUP = "jupiter-warmup";

    private static final List<String> FILES = List.of(MEMORY, STATE, SCRATCH);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;

    Template(Path dir) {
        this.dir = dir;
    }

    Path directory() {
        return dir;
    }

    Path memory() {
        return dir.resolve(MEMORY);
    }

    Path state() {
        return dir.resolve(STATE);
    }

    Path scratch() {
        return dir.resolve(SCRATCH);
    }

    /** Whether a manifest exists: a folder without one was never published. */
    boolean sealed() {
        return Files.isRegularFile(dir.resolve(MANIFEST));
    }

    /**
     * What is wrong with this template for {@code key}, if anything: a manifest for another key, a
     * missing file, a size or time that changed since it was sealed, device state whose sha256
     * differs.
     */
    Optional<String> problem(TemplateKey key) {
        JsonNode m;
        try {
            m = JSON.readTree(dir.resolve(MANIFEST).toFile());
        } catch (IOException e) {
            return Optional.of("its manifest cannot be read: " + e.getMessage());
        }
        if (!key.hash().equals(m.path("key").asText())
                || !TemplateKey.FORMAT.equals(m.path("format").asText())) {
            return Optional.of("it was made for another configuration");
        }
        for (String name : FILES) {
            JsonNode f = m.path("files").path(name);
            Path file = dir.resolve(name);
            try {
                BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
                if (a.size() != f.path("bytes").asLong(-1)
                        || a.lastModifiedTime().toMillis() != f.path("modified").asLong(-1)) {
                    return Optional.of(name + " changed after the template was saved");
                }
            } catch (IOException e) {
                return Optional.of(name + " is missing");
            }
        }
        try {
            if (!ContentDigest.of(state())
                    .equals(m.path("files").path(STATE).path("sha256").asText())) {
                return Optional.of("its device state's sha256 differs from the manifest");
            }
        } catch (IOException e) {
            return Optional.of("its device state cannot be read: " + e.getMessage());
        }
        return Optional.empty();
    }

    /**
     * Makes the files read-only and writes the manifest: the last step before publishing. The
     * memory stays writable for its owner: qemu 7.2 opens a memory file read-write even to map it
     * copy-on-write. Nothing writes it: clones map it privately and have no balloon, whose discards
     * qemu would carry out by punching holes into the file (see {@link QemuCommandLine#BALLOON}).
     */
    void seal(TemplateKey key, long buildMillis) throws IOException {
        ObjectNode m = JSON.createObjectNode();
        m.put("format", TemplateKey.FORMAT);
        m.put("key", key.hash());
        m.put("madeAt", Instant.now().toString());
        m.put("buildMillis", buildMillis);
        ObjectNode inputs = m.putObject("inputs");
        key.inputs().entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .forEach(e -> inputs.put(e.getKey(), e.getValue()));
        ObjectNode files = m.putObject("files");
        for (String name : FILES) {
            Path file = dir.resolve(name);
            Files.setPosixFilePermissions(
                    file, PosixFilePermissions.fromString(name.equals(MEMORY) ? "rw-r--r--" : "r--r--r--"));
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            ObjectNode f = files.putObject(name);
            f.put("bytes", a.size());
            f.put("modified", a.lastModifiedTime().toMillis());
        }
        ((ObjectNode) files.get(STATE)).put("sha256", ContentDigest.of(state()));
        JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(MANIFEST).toFile(), m);
    }

    /** Notes a use, for evicting the least recently used templates. */
    void touch() {
        CacheEviction.touch(dir.resolve(LAST_USED));
    }

    long lastUsedMillis() {
        return CacheEviction.lastUsedMillis(dir.resolve(LAST_USED), dir);
    }
}
