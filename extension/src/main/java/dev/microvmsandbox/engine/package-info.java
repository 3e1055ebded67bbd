/**
 * The host's JUnit Platform test engine {@code microvm-sandbox} and the filter that keeps other engines
 * from running sandboxed classes: discovery from class file bytes, a sandbox per class or per run,
 * and the mirror that replays the guest's test events on the host. Also the guard that stops a host
 * test JVM told {@code microvm.sandbox.mode=strict} (the strict setup runs the whole fork in a guest).
 *
 * <p>Internal: found through {@code META-INF/services}. May use the annotation, {@code backend},
 * {@code backend.selection}, {@code channel}, {@code containerimage} and {@code settings}; never {@code guest} or a
 * backend implementation.
 */
package dev.microvmsandbox.engine;
