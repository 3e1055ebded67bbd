/**
 * The guest VM image: kernel, initramfs and root filesystem built from Debian packages by the recipe
 * in {@code sandbox-image/} and {@code bootstrap/}, cached by content hash and checked against its
 * manifest.
 *
 * <p>Internal. May use {@code backend} (its exception type) and {@code hostfs}.
 */
package dev.microvmsandbox.guestimage;
