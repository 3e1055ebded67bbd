package dev.microvmsandbox.guest;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * What a guest restored from a template must not share with its siblings: the wall clock (the
 * template's stood still while it was saved), the kernel's random pool (every sibling resumes
 * with the same one; no VMGenID tells the kernel it was cloned) and the seeds this JVM derives
 * its non-secure random streams from.
 */
final class CloneIdentity {

    static final String RESEED = "/sandbox/bootstrap/reseed";
    private static final Pattern HEX = Pattern.compile("(?:[0-9a-f]{2}){32,512}");

    private CloneIdentity() {}

    /**
     * Sets the clock to {@code epochMillis} and reseeds the kernel's CRNG with {@code entropyHex}
     * (both from the host), then the JVM's random seeds from the reseeded kernel.
     */
    static void take(long epochMillis, String entropyHex) throws IOException, InterruptedException {
        if (epochMillis <= 0 || entropyHex == null || !HEX.matcher(entropyHex).matches()) {
            throw new IOException("the host sent no valid clock and entropy");
        }
        try {
            GuestCommand.run(
                    List.of("/usr/bin/perl", RESEED),
                    (epochMillis + " " + entropyHex + "\n").getBytes(StandardCharsets.US_ASCII),
                    Duration.ofSeconds(30));
        } catch (IOException e) {
            throw new IOException("reseeding the guest failed: " + e.getMessage(), e);
        }
        reseedJvm();
    }

    /**
     * {@code ThreadLocalRandom} and {@code SplittableRandom} seed new instances from a static
     * counter fixed when their class initialised, here in the template; without this every
     * sibling's threads would draw the same sequences. Best effort: another JDK may lay them out
     * differently, and these streams are not for secrets (SecureRandom reads the kernel's pool).
     */
    static void reseedJvm() {
        SecureRandom fresh = new SecureRandom();
        reseed("java.util.concurrent.ThreadLocalRandom", "seeder", fresh.nextLong());
        reseed("java.util.SplittableRandom", "defaultGen", fresh.nextLong());
    }

    private static void reseed(String className, String fieldName, long seed) {
        try {
            Field f = Class.forName(className).getDeclaredField(fieldName);
            f.setAccessible(true);
            ((AtomicLong) f.get(null)).set(seed);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // see the method comment: the kernel's pool is what matters
        }
    }
}
