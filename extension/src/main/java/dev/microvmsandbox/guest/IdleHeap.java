package dev.microvmsandbox.guest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Gives back the heap a test run grew. The agent's JVM keeps a heap it once committed, and the
 * guest kernel keeps the pages under it. Where the guest has a balloon that reports freed pages
 * to the host (a booted QEMU sandbox; a restored one has none), a run that left more than {@link
 * #COMMITTED_LIMIT} committed is followed by a full collection, after which the serial collector
 * shrinks the heap to what is live ({@code -XX:-ShrinkHeapInSteps}) and the kernel reports the
 * freed pages. A run that never grew the heap pays nothing, and neither does a guest without a
 * balloon, where the pages would stay with the host anyway.
 */
final class IdleHeap {

    /** Committed heap above which a finished run is followed by a full collection. */
    static final long COMMITTED_LIMIT = 256L << 20;

    /** Where the kernel lists the devices its balloon driver serves. */
    static final Path BALLOON_DRIVER = Path.of("/sys/bus/virtio/drivers/virtio_balloon");

    private final boolean balloon;

    IdleHeap(boolean balloon) {
        this.balloon = balloon;
    }

    /** For this guest: whether its kernel's balloon driver serves a device. */
    static IdleHeap forThisGuest() {
        return new IdleHeap(servesADevice(BALLOON_DRIVER));
    }

    static boolean servesADevice(Path driver) {
        try (Stream<Path> entries = Files.list(driver)) {
            return entries.anyMatch(e -> e.getFileName().toString().startsWith("virtio"));
        } catch (IOException e) {
            return false;
        }
    }

    /** Collects if the guest has a balloon and {@code committedBytes} is above the limit; answers whether it did. */
    boolean release(long committedBytes) {
        if (!balloon || committedBytes <= COMMITTED_LIMIT) {
            return false;
        }
        System.gc();
        return true;
    }
}
