package dev.microvmsandbox.backend.kata;

import dev.microvmsandbox.backend.AgentClasspath;
import dev.microvmsandbox.backend.Mount;
import dev.microvmsandbox.backend.SandboxConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * What a container sandbox gets of the host, copied in (a container has no virtio-9p share and
 * gets no host bind mount): the classpath under {@value #CLASSPATH_DIR} with the agent's argument
 * file, the opt-in environment, the read-only mounts' folders at their guest paths, and a host
 * Java home when the image's Java 17 is too old. Sent as one tar stream in the chunked framing of
 * {@link ChunkedOutputStream}; the bootstrap unpacks it at {@code /} before it starts the agent.
 *
 * <p>Only regular files and folders are copied: a symbolic link in a class folder or mount is
 * skipped (it could name any host file); in a Java home, a link to a regular file is copied as
 * that file (Debian's JDK links its configuration files).
 */
final class GuestFiles {

    static final String CLASSPATH_DIR = "/run/msb/cp";
    static final String JDK_DIR = "/run/msb/jdk";
    static final String ARGS_FILE = "agent.args";
    static final String ENV_FILE = "agent.env";
    static final String AGENT_MAIN = "dev.microvmsandbox.guest.GuestAgent";

    private GuestFiles() {}

    /**
     * Writes the files {@code config} asks for to {@code out} (the container's stdin), followed by
     * the end mark; {@code out} stays open.
     *
     * @return the number of file bytes sent
     */
    static long send(SandboxConfig config, List<String> jvmOptions, OutputStream out) throws IOException {
        ChunkedOutputStream chunks = new ChunkedOutputStream(out);
        long[] bytes = {0};
        TarArchiveOutputStream tar = new TarArchiveOutputStream(chunks, StandardCharsets.UTF_8.name());
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        directory(tar, CLASSPATH_DIR);
        List<Path> classpath = config.classpath().isEmpty() ? AgentClasspath.entries() : config.classpath();
        List<String> guestEntries = new ArrayList<>();
        int n = 0;
        for (Path entry : classpath) {
            String name = String.format(
                    "%s/%03d-%s", CLASSPATH_DIR, n, safeName(entry.getFileName().toString()));
            if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
                bytes[0] += tree(tar, entry, name, false);
            } else if (Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS)) {
                bytes[0] += file(tar, entry, name, 0644);
            } else {
                continue;
            }
            guestEntries.add(name);
            n++;
        }
        List<String> args = new ArrayList<>(jvmOptions);
        args.add("-cp");
        args.add(String.join(":", guestEntries));
        args.add(AGENT_MAIN);
        text(tar, CLASSPATH_DIR + "/" + ARGS_FILE, String.join("\n", args) + "\n");
        StringBuilder env = new StringBuilder();
        for (Map.Entry<String, String> e : config.env().entrySet()) {
            env.append(e.getKey()).append('=').append(e.getValue()).append('\n');
        }
        text(tar, CLASSPATH_DIR + "/" + ENV_FILE, env.toString());
        for (Mount mount : config.mounts()) {
            if (!Files.isDirectory(mount.hostPath())) {
                throw new IOException("the mount's host folder " + mount.hostPath() + " is not a folder");
            }
            bytes[0] += tree(tar, mount.hostPath(), mount.guestPath(), false);
        }
        if (config.hostJavaHome().isPresent()) {
            bytes[0] += tree(tar, config.hostJavaHome().get(), JDK_DIR, true);
        }
        tar.finish();
        chunks.finish();
        return bytes[0];
    }

    private static long tree(TarArchiveOutputStream tar, Path root, String guestRoot, boolean followFileLinks)
            throws IOException {
        long bytes = 0;
        directory(tar, guestRoot);
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(root)) {
            paths = walk.sorted().toList();
        }
        for (Path p : paths) {
            if (p.equals(root)) {
                continue;
            }
            String name = guestRoot + "/" + root.relativize(p).toString().replace('\\', '/');
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (a.isDirectory()) {
                directory(tar, name);
            } else if (a.isRegularFile()) {
                bytes += file(tar, p, name, Files.isExecutable(p) ? 0755 : 0644);
            } else if (a.isSymbolicLink() && followFileLinks && Files.isRegularFile(p)) {
                bytes += file(tar, p, name, Files.isExecutable(p) ? 0755 : 0644);
            }
        }
        return bytes;
    }

    private static void directory(TarArchiveOutputStream tar, String guestPath) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(relative(guestPath) + "/", TarArchiveEntry.LF_DIR, true);
        e.setMode(TarArchiveEntry.DEFAULT_DIR_MODE);
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
    }

    private static long file(TarArchiveOutputStream tar, Path source, String guestPath, int mode) throws IOException {
        long size = Files.size(source);
        TarArchiveEntry e = new TarArchiveEntry(relative(guestPath), true);
        e.setSize(size);
        e.setMode(TarArchiveEntry.DEFAULT_FILE_MODE & ~0777 | mode);
        e.setModTime(Files.getLastModifiedTime(source));
        tar.putArchiveEntry(e);
        long copied = Files.copy(source, tar);
        if (copied != size) {
            throw new IOException(source + " changed size while it was sent");
        }
        tar.closeArchiveEntry();
        return size;
    }

    private static void text(TarArchiveOutputStream tar, String guestPath, String content) throws IOException {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry e = new TarArchiveEntry(relative(guestPath), true);
        e.setSize(bytes.length);
        e.setMode(TarArchiveEntry.DEFAULT_FILE_MODE);
        tar.putArchiveEntry(e);
        tar.write(bytes);
        tar.closeArchiveEntry();
    }

    private static String relative(String guestPath) {
        return guestPath.replaceFirst("^/+", "");
    }

    private static String safeName(String name) {
        String s = name.replaceAll("[^A-Za-z0-9._-]", "_");
        return s.isEmpty() ? "entry" : s;
    }
}
