package dev.microvmsandbox.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * A docker-archive of a given size for benchmarks: the guest image's busybox layer below a layer
 * of incompressible 1 MiB files, so load, copy and per-container costs can be read per MiB for
 * image sizes the sample images do not have (a PostgreSQL image is about 400 MB).
 */
final class SyntheticImage {

    private SyntheticImage() {}

    /** Writes {@code name} with about {@code mebibytes} of data into {@code target} (cached by size and name). */
    static Path write(Path busyboxArchive, Path target, String name, int mebibytes) throws Exception {
        if (Files.isRegularFile(target) && Files.size(target) > (long) mebibytes << 20) {
            return target;
        }
        byte[] base = busyboxLayer(busyboxArchive);
        Path data = Files.createTempFile(target.getParent(), "layer", ".tar");
        try {
            try (TarArchiveOutputStream tar = new TarArchiveOutputStream(Files.newOutputStream(data))) {
                tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                dir(tar, "data/");
                Random random = new Random(mebibytes);
                byte[] chunk = new byte[1 << 20];
                for (int i = 0; i < mebibytes; i++) {
                    random.nextBytes(chunk);
                    TarArchiveEntry e = new TarArchiveEntry(String.format("data/blob-%04d", i));
                    e.setSize(chunk.length);
                    e.setModTime(0);
                    tar.putArchiveEntry(e);
                    tar.write(chunk);
                    tar.closeArchiveEntry();
                }
            }
            String baseId = sha256(base);
            String dataId = sha256(Files.readAllBytes(data));
            String config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"1970-01-01T00:00:00Z\","
                    + "\"config\":{\"Env\":[\"PATH=/usr/sbin:/usr/bin:/sbin:/bin\"],\"Cmd\":[\"/bin/sh\"]},"
                    + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:" + baseId + "\",\"sha256:" + dataId
                    + "\"]}}";
            String configId = sha256(config.getBytes(StandardCharsets.UTF_8));
            String manifest = "[{\"Config\":\"" + configId + ".json\",\"RepoTags\":[\"" + name + "\"],\"Layers\":[\""
                    + baseId + "/layer.tar\",\"" + dataId + "/layer.tar\"]}]";
            Path partial = target.resolveSibling(target.getFileName() + ".partial");
            try (TarArchiveOutputStream tar = new TarArchiveOutputStream(Files.newOutputStream(partial))) {
                tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
                file(tar, baseId + "/layer.tar", base);
                TarArchiveEntry e = new TarArchiveEntry(dataId + "/layer.tar");
                e.setSize(Files.size(data));
                e.setModTime(0);
                tar.putArchiveEntry(e);
                Files.copy(data, tar);
                tar.closeArchiveEntry();
                file(tar, configId + ".json", config.getBytes(StandardCharsets.UTF_8));
                file(tar, "manifest.json", manifest.getBytes(StandardCharsets.UTF_8));
            }
            Files.move(partial, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            return target;
        } finally {
            Files.deleteIfExists(data);
        }
    }

    private static byte[] busyboxLayer(Path archive) throws IOException {
        try (TarArchiveInputStream in = new TarArchiveInputStream(Files.newInputStream(archive))) {
            for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                if (e.getName().endsWith("layer.tar")) {
                    return readAll(in);
                }
            }
        }
        throw new IOException("no layer in " + archive);
    }

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toByteArray();
    }

    private static void dir(TarArchiveOutputStream tar, String name) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setModTime(0);
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
    }

    private static void file(TarArchiveOutputStream tar, String name, byte[] bytes) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(bytes.length);
        e.setModTime(0);
        tar.putArchiveEntry(e);
        tar.write(bytes);
        tar.closeArchiveEntry();
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
