/**
 * The fork path: a launcher that Surefire and Failsafe start as their forked test JVM (through the
 * Maven plugin's {@code jvm} script). It boots a sandbox, shows the guest exactly the host files the
 * fork's command line needs, read-only at their own paths, runs the same command line in the guest,
 * relays stdin, stdout and stderr, and exits with the fork's status. It runs on the host and never
 * loads a test class; everything that comes back is checked before the plugin reads it.
 *
 * <p>Internal: started by the script the Maven plugin writes. May use {@code backend},
 * {@code backend.selection}, {@code containerimage}, {@code hostfs} and {@code settings}.
 */
package dev.microvmsandbox.fork;
