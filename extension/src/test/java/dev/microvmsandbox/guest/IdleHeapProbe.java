package dev.microvmsandbox.guest;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Run in a JVM of its own by {@code AgentHeapTest}: grows the heap by the megabytes its first
 * argument names (0: not at all), drops all but the second argument's megabytes, and then either
 * lets {@link IdleHeap} act as in a guest with a balloon ({@code release}) or just collects
 * ({@code plain}). Prints the committed heap before and after, whether it collected, and the
 * heap's free-space bounds afterwards.
 */
public final class IdleHeapProbe {

    private IdleHeapProbe() {}

    public static void main(String[] args) {
        int mebibytes = Integer.parseInt(args[0]);
        int liveMebibytes = Integer.parseInt(args[1]);
        boolean release = args[2].equals("release");
        List<byte[]> chunks = new ArrayList<>();
        for (int i = 0; i < mebibytes / 16; i++) {
            byte[] chunk = new byte[16 << 20];
            Arrays.fill(chunk, (byte) 1);
            chunks.add(chunk);
        }
        System.out.println("held " + chunks.size() * 16 + " MiB");
        List<byte[]> live = new ArrayList<>(chunks.subList(0, liveMebibytes / 16));
        chunks = null;
        long grown = Runtime.getRuntime().totalMemory();
        boolean collected;
        if (release) {
            collected = new IdleHeap(true).release(grown);
        } else {
            System.gc();
            collected = true;
        }
        System.out.println("committed " + grown + " " + Runtime.getRuntime().totalMemory() + " " + collected);
        HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        System.out.println("bounds " + vm.getVMOption("MinHeapFreeRatio").getValue() + " "
                + vm.getVMOption("MaxHeapFreeRatio").getValue());
        System.out.println("kept " + live.size() * 16 + " MiB");
    }
}
