package dev.microvmsandbox.guest;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Run in a JVM of its own by {@code AgentHeapTest}: grows the heap by the megabytes its argument
 * names (0: not at all), drops it, lets {@link IdleHeap} act as in a guest with a balloon, and prints the committed heap before
 * and after and whether it collected.
 */
public final class IdleHeapProbe {

    private IdleHeapProbe() {}

    public static void main(String[] args) {
        int mebibytes = Integer.parseInt(args[0]);
        List<byte[]> chunks = new ArrayList<>();
        for (int i = 0; i < mebibytes / 16; i++) {
            byte[] chunk = new byte[16 << 20];
            Arrays.fill(chunk, (byte) 1);
            chunks.add(chunk);
        }
        System.out.println("held " + chunks.size() * 16 + " MiB");
        chunks = null;
        long grown = Runtime.getRuntime().totalMemory();
        boolean collected = new IdleHeap(true).release(grown);
        System.out.println("committed " + grown + " " + Runtime.getRuntime().totalMemory() + " " + collected);
    }
}
