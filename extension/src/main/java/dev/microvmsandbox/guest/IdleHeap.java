package dev.microvmsandbox.guest;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Gives back the heap a test run grew. The agent's JVM keeps a heap it once committed, and the
 * guest kernel keeps the pages under it. Where the guest has a balloon that reports freed pages
 * to the host (a booted QEMU sandbox; a restored one has none), a run that left more than {@link
 * #COMMITTED_LIMIT} committed is followed by a full collection, after which the serial collector
 * shrinks the heap at once ({@code -XX:-ShrinkHeapInSteps}) and the kernel reports the freed pages.
 * For that one collection the heap may keep at most {@link #RELEASE_MAX_FREE_PERCENT}% of itself
 * free, where the JVM's default is 70%: over 60 MiB live the default kept 292-370 MiB committed,
 * the tight bound 97-123 MiB. Both bounds are manageable flags and go back to what they were, so
 * the next run's heap grows as usual. A run that never grew the heap pays nothing, and neither
 * does a guest without a balloon, where the pages would stay with the host anyway.
 */
final class IdleHeap {

    /** Committed heap above which a finished run is followed by a full collection. */
    static final long COMMITTED_LIMIT = 256L << 20;

    /** The most of the heap the end-of-run collection leaves free, in percent. */
    static final int RELEASE_MAX_FREE_PERCENT = 10;

    private static final String MIN_FREE = "MinHeapFreeRatio";
    private static final String MAX_FREE = "MaxHeapFreeRatio";

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
        collectTightly();
        return true;
    }

    /**
     * A full collection that sizes the heap with at most {@link #RELEASE_MAX_FREE_PERCENT}% free. A
     * JVM whose bounds cannot be read or changed just collects.
     */
    static void collectTightly() {
        HotSpotDiagnosticMXBean vm;
        String min;
        String max;
        try {
            vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            min = vm.getVMOption(MIN_FREE).getValue();
            max = vm.getVMOption(MAX_FREE).getValue();
        } catch (RuntimeException | LinkageError e) {
            // not HotSpot, or a Java without the jdk.management module
            System.gc();
            return;
        }
        try {
            // the minimum first: the JVM refuses a minimum above the maximum
            vm.setVMOption(MIN_FREE, "0");
            vm.setVMOption(MAX_FREE, Integer.toString(RELEASE_MAX_FREE_PERCENT));
        } catch (RuntimeException e) {
            // bounds this JVM does not let change: the collection below keeps its own
        }
        try {
            System.gc();
        } finally {
            // the maximum first, for the same reason
            vm.setVMOption(MAX_FREE, max);
            vm.setVMOption(MIN_FREE, min);
        }
    }
}
