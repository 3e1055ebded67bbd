package dev.microvmsandbox.hostfs;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.apiguardian.api.API;

/**
 * SHA-256 of what a file or a folder holds, for cache keys: a folder's digest covers every
 * regular file below it, by relative path and content, in a fixed order. A regular file's digest
 * is remembered for as long as its size, time and inode stay the same.
 */
@API(status = API.Status.INTERNAL)
public final class ContentDigest {

    private static final Map<Path, String[]> FILES = new ConcurrentHashMap<>();

    private ContentDigest() {}

    /** Hex SHA-256 of {@code path}'s content (a file) or tree (a folder). */
    public static String of(Path path) throws IOException {
        if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
            return tree(path);
        }
        return file(path);
    }

    /** Hex SHA-256 of the given strings, each ended by a zero byte. */
    public static String ofStrings(List<String> parts) {
        MessageDigest d = sha256();
        for (String part : parts) {
            d.update(part.getBytes(StandardCharsets.UTF_8));
            d.update((byte) 0);
        }
        return HexFormat.of().formatHex(d.digest());
    }

    private static String file(Path file) throws IOException {
        Path key = file.toAbsolutePath().normalize();
        var attrs = Files.readAttributes(key, java.nio.file.attribute.BasicFileAttributes.class);
        String stamp = attrs.size() + " " + attrs.lastModifiedTime().toMillis() + " " + attrs.fileKey();
        String[] known = FILES.get(key);
        if (known != null && known[0].equals(stamp)) {
            return known[1];
        }
        MessageDigest d = sha256();
        update(d, key);
        String hex = HexFormat.of().formatHex(d.digest());
        FILES.put(key, new String[] {stamp, hex});
        return hex;
    }

    private static String tree(Path root) throws IOException {
        MessageDigest d = sha256();
        try (Stream<Path> walk = Files.walk(root)) {
            List<Path> files = walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
                    .sorted()
                    .toList();
            for (Path f : files) {
                d.update(root.relativize(f).toString().getBytes(StandardCharsets.UTF_8));
                d.update((byte) 0);
                update(d, f);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return HexFormat.of().formatHex(d.digest());
    }

    private static void update(MessageDigest d, Path file) throws IOException {
        byte[] buf = new byte[64 * 1024];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                d.update(buf, 0, n);
            }
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
