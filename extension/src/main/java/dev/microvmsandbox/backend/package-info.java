/**
 * The backend SPI: a {@link dev.microvmsandbox.backend.Backend} boots a
 * {@link dev.microvmsandbox.backend.Sandbox} with the limits of a
 * {@link dev.microvmsandbox.backend.SandboxConfig}, gives a channel to the guest agent, copies files
 * in and out, and destroys it.
 *
 * <p>Public API for backend implementers. May use {@code channel}; knows no implementation.
 */
package dev.microvmsandbox.backend;
