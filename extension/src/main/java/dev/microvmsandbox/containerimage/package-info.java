/**
 * Container images for the guest's podman: image archives named by the user, or images exported
 * from a container engine on the host, resolved on the host before a sandbox boots and loaded into
 * it.
 *
 * <p>Internal. May use {@code backend} and {@code hostfs}.
 */
package dev.microvmsandbox.containerimage;
