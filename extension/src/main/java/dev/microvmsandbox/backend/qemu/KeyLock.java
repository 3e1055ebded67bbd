package dev.microvmsandbox.backend.qemu;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lock of one cached thing's key, across JVMs and within one: a lock file beside the thing
 * ({@code <key>.lock}) that is deleted once the thing is gone, so lock files do not pile up in the
 * cache.
 *
 * <p>A lock file may be deleted only by whoever holds its lock. So a holder knows the file it
 * locked is still the one at the path, and not one deleted meanwhile, it writes a mark of its own
 * into the file it locked and reads the path back: only the file it holds can show that mark.
 * Otherwise it drops that lock and takes the new file's. The file read back stays open while the
 * lock is held: a POSIX lock is released when the process closes any descriptor of its file. Within
 * a JVM, a lock per path keeps a second thread away from the file while one works on it.
 */
final class KeyLock {

    private static final Logger LOG = LoggerFactory.getLogger(KeyLock.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Map<Path, ReentrantLock> IN_JVM = new ConcurrentHashMap<>();
    /** Marks are 32 characters; what is read back is cut at this. */
    private static final int MAX_READ = 64;

    static final String SUFFIX = ".lock";

    private KeyLock() {}

    /** What is done while the lock is held. */
    interface Work<T> {
        T run() throws IOException;
    }

    /**
     * Waits for the lock at {@code file}, creating the file when it is missing, and runs {@code
     * work} while holding it.
     */
    static <T> T holding(Path file, Work<T> work) throws IOException {
        ReentrantLock inJvm = IN_JVM.computeIfAbsent(file.toAbsolutePath(), f -> new ReentrantLock());
        inJvm.lock();
        try {
            while (true) {
                try (FileChannel channel = FileChannel.open(
                                file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
                        FileLock lock = channel.lock();
                        FileChannel atPath = openIfStillAtPath(channel, file)) {
                    if (atPath != null && lock.isValid()) {
                        return work.run();
                    }
                    LOG.debug("{} was deleted while this JVM waited for it; locking the new one", file);
                }
            }
        } finally {
            inJvm.unlock();
        }
    }

    /**
     * Deletes the lock files in {@code dir} ({@code <key>.lock}) whose key's thing, as {@code
     * thingOf} names it, is gone and which no one holds.
     */
    static void deleteOrphans(Path dir, Function<String, Path> thingOf) {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String name = f.getFileName().toString();
                if (name.endsWith(SUFFIX)
                        && !Files.exists(thingOf.apply(name.substring(0, name.length() - SUFFIX.length())))) {
                    deleteIfIdle(f);
                }
            }
        } catch (IOException e) {
            LOG.debug("cannot list {}: {}", dir, e.toString());
        }
    }

    /**
     * Deletes the lock file at {@code file} when no one holds it: its key's thing was removed. A
     * lock held, in this JVM or another, or a file already gone, leaves things as they are.
     */
    static void deleteIfIdle(Path file) {
        ReentrantLock inJvm = IN_JVM.computeIfAbsent(file.toAbsolutePath(), f -> new ReentrantLock());
        if (!inJvm.tryLock()) {
            return; // another thread of this JVM works under it
        }
        try {
            if (inJvm.getHoldCount() > 1) {
                return; // this thread holds it
            }
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
                    FileLock lock = channel.tryLock()) {
                if (lock != null) {
                    try (FileChannel atPath = openIfStillAtPath(channel, file)) {
                        if (atPath != null) {
                            Files.delete(file);
                        }
                    }
                }
            } catch (NoSuchFileException | OverlappingFileLockException e) {
                // gone already, or locked in this JVM through another path to the same file
            } catch (IOException e) {
                LOG.debug("could not delete the idle lock file {}: {}", file, e.toString());
            }
        } finally {
            inJvm.unlock();
        }
    }

    /**
     * Under the channel's lock: the file at the path, opened, when it is the one the channel has
     * open, else null (closed again: it is not this process's locked file).
     */
    private static FileChannel openIfStillAtPath(FileChannel channel, Path file) throws IOException {
        byte[] token = new byte[16];
        RANDOM.nextBytes(token);
        byte[] mark = HexFormat.of().formatHex(token).getBytes(StandardCharsets.US_ASCII);
        channel.truncate(0);
        channel.write(ByteBuffer.wrap(mark), 0);
        FileChannel atPath;
        try {
            atPath = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            return null;
        }
        ByteBuffer seen = ByteBuffer.allocate(MAX_READ);
        try {
            while (seen.hasRemaining() && atPath.read(seen) > 0) {
                // read up to the bound
            }
        } catch (IOException | RuntimeException e) {
            atPath.close();
            throw e;
        }
        if (Arrays.equals(Arrays.copyOf(seen.array(), seen.position()), mark)) {
            return atPath;
        }
        atPath.close();
        return null;
    }
}
