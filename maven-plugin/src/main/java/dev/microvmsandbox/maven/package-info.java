/**
 * The Maven plugin of the strict setup: goal {@code prepare} points Surefire's and Failsafe's
 * {@code jvm} at the fork launcher of {@code dev.microvmsandbox.fork}, so the whole forked test JVM
 * runs in a sandbox. Users meet it as a goal in their pom, not as Java types.
 */
package dev.microvmsandbox.maven;
