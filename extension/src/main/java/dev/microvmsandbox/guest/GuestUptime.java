package dev.microvmsandbox.guest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The guest's uptime, the one clock that runs from the kernel's start: the bootstrap notes it at
 * each boot step in {@value #STEPS_FILE}, the agent adds its own, and the host lays them out as
 * the boot's phases.
 */
final class GuestUptime {

    static final String STEPS_FILE = "/run/msb/boot-phases";
    private static final Pattern STEP = Pattern.compile("([a-z-]{1,32}) (\\d{1,7})(?:\\.(\\d{1,2}))?");
    private static final int MAX_STEPS = 16;

    private GuestUptime() {}

    /** Milliseconds since the guest kernel started, or -1 where /proc/uptime cannot be read. */
    static long millis() {
        try {
            return parseSeconds(Files.readString(Path.of("/proc/uptime")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The steps the bootstrap wrote ({@code name seconds} lines), in their order. */
    static Map<String, Long> bootstrapSteps(Path file) {
        Map<String, Long> steps = new LinkedHashMap<>();
        try {
            if (Files.size(file) > 4096) {
                return steps;
            }
            for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
                Matcher m = STEP.matcher(line.strip());
                if (m.matches() && steps.size() < MAX_STEPS) {
                    steps.put(
                            m.group(1), parseSeconds(m.group(3) == null ? m.group(2) : m.group(2) + "." + m.group(3)));
                }
            }
        } catch (IOException | RuntimeException e) {
            // no breakdown: the bootstrap did not write one (a Kata container, an older image)
        }
        return steps;
    }

    /** {@code 12.34} seconds as milliseconds. */
    static long parseSeconds(String text) {
        return Math.round(Double.parseDouble(text.strip()) * 1000);
    }
}
