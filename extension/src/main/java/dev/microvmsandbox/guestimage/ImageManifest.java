package dev.microvmsandbox.guestimage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What {@code build.sh} says it published: the size and sha256 of every file of a guest image,
 * read from its {@code manifest.json}. Comparing sizes costs a few stat calls; comparing hashes
 * reads every byte (~650 MB, a few seconds).
 */
final class ImageManifest {

    static final String FILE = "manifest.json";
    /** Files every VM image has; manifests from before checksums were recorded list only their sizes. */
    private static final List<String> REQUIRED = List.of("vmlinux", "initrd.img", "rootfs.ext4");

    private static final Map<String, String> LEGACY_SIZE_KEYS =
            Map.of("vmlinux", "vmlinuxBytes", "initrd.img", "initrdBytes", "rootfs.ext4", "rootfsBytes");

    /** One file of the image, relative to its folder; {@code sha256} is null in legacy manifests. */
    record Entry(String path, long bytes, String sha256) {}

    private final List<Entry> entries;

    private ImageManifest(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    List<Entry> entries() {
        return entries;
    }

    boolean hasChecksums() {
        return entries.stream().allMatch(e -> e.sha256() != null);
    }

    /**
     * Reads {@code DIR/manifest.json}.
     *
     * @throws IOException naming what is wrong when it is missing, unreadable or lists no files
     */
    static ImageManifest read(Path dir) throws IOException {
        return read(dir, REQUIRED);
    }

    /** Reads {@code DIR/manifest.json}, which must list each of {@code required}. */
    static ImageManifest read(Path dir, List<String> required) throws IOException {
        Path file = dir.resolve(FILE);
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new IOException(FILE + " is missing");
        } catch (IOException e) {
            throw new IOException(FILE + " is not valid JSON ("
                    + e.getMessage().lines().findFirst().orElse("") + ")");
        }
        List<Entry> entries = new ArrayList<>();
        JsonNode files = root == null ? null : root.get("files");
        if (files != null && files.isObject()) {
            for (Map.Entry<String, JsonNode> f : files.properties()) {
                String path = f.getKey();
                if (path.startsWith("/") || path.contains("..")) {
                    throw new IOException(FILE + " names a file outside the image: " + path);
                }
                JsonNode bytes = f.getValue().get("bytes");
                JsonNode sha = f.getValue().get("sha256");
                if (bytes == null || !bytes.canConvertToLong() || sha == null || !sha.isTextual()) {
                    throw new IOException(FILE + " has no bytes and sha256 for " + path);
                }
                entries.add(new Entry(path, bytes.asLong(), sha.asText()));
            }
        } else if (root != null) {
            for (String path : REQUIRED) {
                JsonNode bytes = root.get(LEGACY_SIZE_KEYS.get(path));
                if (bytes != null && bytes.canConvertToLong()) {
                    entries.add(new Entry(path, bytes.asLong(), null));
                }
            }
        }
        for (String path : required) {
            if (entries.stream().noneMatch(e -> e.path().equals(path))) {
                throw new IOException(FILE + " does not list " + path);
            }
        }
        return new ImageManifest(entries);
    }

    /** The first file that is missing or whose size differs from the manifest's. */
    Optional<String> sizeMismatch(Path dir) {
        for (Entry e : entries) {
            Path file = dir.resolve(e.path());
            if (!Files.isRegularFile(file)) {
                return Optional.of(e.path() + " is missing");
            }
            try {
                long actual = Files.size(file);
                if (actual != e.bytes()) {
                    return Optional.of(e.path() + " is " + actual + " bytes, its manifest says " + e.bytes());
                }
            } catch (IOException ex) {
                return Optional.of(e.path() + " cannot be read (" + ex.getMessage() + ")");
            }
        }
        return Optional.empty();
    }

    /**
     * The first file whose size or sha256 differs from the manifest's; reads every byte. An
     * interrupted thread stops reading and gets no answer (empty, interrupt status set).
     */
    Optional<String> contentMismatch(Path dir) {
        Optional<String> size = sizeMismatch(dir);
        if (size.isPresent()) {
            return size;
        }
        for (Entry e : entries) {
            if (e.sha256() == null) {
                continue;
            }
            try {
                if (!sha256(dir.resolve(e.path())).equalsIgnoreCase(e.sha256())) {
                    return Optional.of(e.path() + " sha256 differs from its manifest");
                }
            } catch (ClosedByInterruptException ex) {
                // not a fault of the file: the caller gave up (its interrupt status stays set)
                return Optional.empty();
            } catch (IOException ex) {
                return Optional.of(e.path() + " cannot be read (" + ex.getMessage() + ")");
            }
        }
        return Optional.empty();
    }

    static String sha256(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        }
        byte[] buffer = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
