package dev.microvmsandbox.containerimage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apiguardian.api.API;

/**
 * A container image archive on the host, ready to be copied into a guest and {@code podman load}ed.
 *
 * @param source      the {@code @MicroVmSandbox(images)} entry it was resolved from
 * @param file        the archive (absolute)
 * @param format      what the archive's content is (detected, not taken from the entry)
 * @param names       the image names stored in the archive (docker-archive {@code RepoTags},
 *                    OCI {@code org.opencontainers.image.ref.name} annotations), as written;
 *                    {@link #guestNames()} says what podman makes of them
 * @param bytes       the archive's size
 * @param origin      how it was found, for logs ("archive file", "exported from unix:///...")
 */
@API(status = API.Status.INTERNAL)
public record ImageArchive(String source, Path file, Format format, List<String> names, long bytes, String origin) {

    public ImageArchive {
        Objects.requireNonNull(source);
        Objects.requireNonNull(file);
        Objects.requireNonNull(format);
        names = List.copyOf(names);
        Objects.requireNonNull(origin);
    }

    /** The two archive layouts {@code podman load} reads. */
    public enum Format {
        DOCKER_ARCHIVE("docker-archive"),
        OCI_ARCHIVE("oci-archive");

        private final String prefix;

        Format(String prefix) {
            this.prefix = prefix;
        }

        /** The transport name used in {@code images} entries and by podman ({@code docker-archive}). */
        public String prefix() {
            return prefix;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    /** manifest.json and index.json of real archives are tiny; refuse anything absurd. */
    private static final long MAX_INDEX_BYTES = 4L << 20;

    /**
     * Reads the archive's table of contents (tar headers only, skipping layer contents) and its
     * manifest, and says what it holds.
     *
     * @throws IOException if the file is not a tar, or a tar with neither a docker-archive
     *                     {@code manifest.json} nor an OCI {@code index.json} + {@code oci-layout}
     */
    public static ImageArchive inspect(String source, Path file, String origin) throws IOException {
        Path abs = file.toAbsolutePath().normalize();
        byte[] manifest = null;
        byte[] index = null;
        boolean ociLayout = false;
        try (FileChannel ch = FileChannel.open(abs, StandardOpenOption.READ)) {
            long size = ch.size();
            long pos = 0;
            ByteBuffer header = ByteBuffer.allocate(512);
            int entries = 0;
            while (pos + 512 <= size) {
                header.clear();
                readFully(ch, header, pos);
                byte[] h = header.array();
                if (isZeroBlock(h)) {
                    break;
                }
                if (!validChecksum(h)) {
                    throw new IOException(
                            entries == 0
                                    ? "not a tar archive (no valid tar header at the start)"
                                    : "corrupt tar header at byte " + pos);
                }
                entries++;
                String name = entryName(h);
                long entrySize = parseOctal(h, 124, 12);
                char type = (char) h[156];
                long dataPos = pos + 512;
                if (type == 'L') {
                    // GNU long name: the next header's name is in this entry's data
                    pos = dataPos + roundUp(entrySize);
                    continue;
                }
                if (type == '0' || type == '\0') {
                    String n = stripDotSlash(name);
                    if (n.equals("manifest.json")) {
                        manifest = readEntry(ch, dataPos, entrySize, n);
                    } else if (n.equals("index.json")) {
                        index = readEntry(ch, dataPos, entrySize, n);
                    } else if (n.equals("oci-layout")) {
                        ociLayout = true;
                    }
                }
                pos = dataPos + roundUp(entrySize);
            }
            if (entries == 0) {
                throw new IOException("not a tar archive (empty)");
            }
            if (manifest != null) {
                return new ImageArchive(source, abs, Format.DOCKER_ARCHIVE, dockerNames(manifest), size, origin);
            }
            if (index != null && ociLayout) {
                return new ImageArchive(source, abs, Format.OCI_ARCHIVE, ociNames(index), size, origin);
            }
            throw new IOException("a tar archive, but not an image archive: it has neither manifest.json "
                    + "(docker-archive, as `docker save` / `podman save` write) nor index.json and oci-layout "
                    + "(oci-archive)");
        }
    }

    static List<String> dockerNames(byte[] manifest) throws IOException {
        JsonNode root = JSON.readTree(manifest);
        if (!root.isArray() || root.isEmpty()) {
            throw new IOException("manifest.json is not a non-empty array of images");
        }
        List<String> names = new ArrayList<>();
        for (JsonNode image : root) {
            if (!image.path("Config").isTextual() || !image.path("Layers").isArray()) {
                throw new IOException("manifest.json entry without Config and Layers");
            }
            for (JsonNode tag : image.path("RepoTags")) {
                if (tag.isTextual()) {
                    names.add(tag.asText());
                }
            }
        }
        return names;
    }

    static List<String> ociNames(byte[] index) throws IOException {
        JsonNode root = JSON.readTree(index);
        if (!root.path("manifests").isArray()) {
            throw new IOException("index.json has no manifests array");
        }
        List<String> names = new ArrayList<>();
        for (JsonNode m : root.path("manifests")) {
            JsonNode ref = m.path("annotations").path("org.opencontainers.image.ref.name");
            if (ref.isTextual()) {
                names.add(ref.asText());
            }
        }
        return names;
    }

    private static byte[] readEntry(FileChannel ch, long pos, long size, String name) throws IOException {
        if (size > MAX_INDEX_BYTES) {
            throw new IOException(name + " is " + size + " bytes; refusing to read more than " + MAX_INDEX_BYTES);
        }
        ByteBuffer b = ByteBuffer.allocate((int) size);
        readFully(ch, b, pos);
        return b.array();
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            int n = ch.read(b, pos + b.position());
            if (n < 0) {
                throw new IOException("truncated tar archive");
            }
        }
    }

    private static boolean isZeroBlock(byte[] h) {
        for (byte b : h) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean validChecksum(byte[] h) {
        long stored;
        try {
            stored = parseOctal(h, 148, 8);
        } catch (IOException e) {
            return false;
        }
        long sum = 0;
        for (int i = 0; i < 512; i++) {
            sum += (i >= 148 && i < 156) ? ' ' : (h[i] & 0xff);
        }
        return sum == stored;
    }

    private static String entryName(byte[] h) {
        String name = cString(h, 0, 100);
        boolean ustar = new String(h, 257, 5, StandardCharsets.US_ASCII).equals("ustar");
        String prefix = ustar ? cString(h, 345, 155) : "";
        return prefix.isEmpty() ? name : prefix + "/" + name;
    }

    private static String stripDotSlash(String n) {
        while (n.startsWith("./")) {
            n = n.substring(2);
        }
        return n;
    }

    private static String cString(byte[] h, int off, int len) {
        int end = off;
        while (end < off + len && h[end] != 0) {
            end++;
        }
        return new String(h, off, end - off, StandardCharsets.UTF_8);
    }

    static long parseOctal(byte[] h, int off, int len) throws IOException {
        if ((h[off] & 0x80) != 0) {
            // GNU base-256 for sizes of 8 GiB and more
            long v = h[off] & 0x7f;
            for (int i = off + 1; i < off + len; i++) {
                v = (v << 8) | (h[i] & 0xff);
            }
            return v;
        }
        long v = 0;
        boolean any = false;
        for (int i = off; i < off + len; i++) {
            byte b = h[i];
            if (b == 0 || b == ' ') {
                if (any) {
                    break;
                }
                continue;
            }
            if (b < '0' || b > '7') {
                throw new IOException("bad octal field in tar header");
            }
            v = v * 8 + (b - '0');
            any = true;
        }
        return v;
    }

    private static long roundUp(long size) {
        return (size + 511) / 512 * 512;
    }

    /** The names podman gives the image once loaded (see {@link ImageNames} for its rules per format). */
    public List<String> guestNames() {
        List<String> out = new ArrayList<>();
        for (String n : names) {
            String q = format == Format.DOCKER_ARCHIVE ? ImageNames.qualify(n) : ImageNames.qualifyLocal(n);
            if (!out.contains(q)) {
                out.add(q);
            }
        }
        return out;
    }

    /** The transport:path spelling podman understands, e.g. {@code docker-archive:/x/redis.tar}. */
    public String podmanReference() {
        return format.prefix() + ":" + file;
    }

    @Override
    public String toString() {
        return source + " -> " + file + " (" + format.prefix() + ", " + (bytes >> 20) + " MiB, names " + names + ", "
                + origin + ")";
    }
}
