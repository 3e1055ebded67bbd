/**
 * Project-wide sandbox settings ({@code microvm.sandbox.memory}, {@code images}, {@code env},
 * {@code systemProperties}, ...), parsed and checked in one place for both paths into the guest: the
 * engine reads them from JUnit configuration parameters, the fork launcher from the settings file the
 * Maven plugin writes.
 *
 * <p>Internal. May use {@code backend} (its value types) only.
 */
package dev.microvmsandbox.settings;
