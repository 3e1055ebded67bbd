package dev.microvmsandbox.fork;

import java.util.List;

/**
 * JVM options for a fork whose guest CPU is emulated. Under TCG the JIT's own work is emulated too,
 * and C2's compilations of a short test run cost more than the faster code they buy: stopping at
 * C1 made a javac run of 60 classes in a TCG guest 1.6 to 1.8 times as fast. The options come before the fork's
 * own, so an {@code argLine} that sets {@code TieredStopAtLevel} (or turns tiered compilation off)
 * wins. No garbage collector is chosen: one in the fork's options, or in an argument file, would
 * conflict with it.
 */
final class EmulatedCpu {

    static final List<String> JVM_OPTIONS = List.of("-XX:TieredStopAtLevel=1");

    private EmulatedCpu() {}
}
