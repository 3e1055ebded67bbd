/**
 * The guest agent: the JVM the bootstrap starts inside the VM. It runs the host's commands, file
 * copies and test runs and streams their results back.
 *
 * <p>Internal. May use {@code channel} only: nothing of the host's side runs in the guest.
 */
package dev.microvmsandbox.guest;
