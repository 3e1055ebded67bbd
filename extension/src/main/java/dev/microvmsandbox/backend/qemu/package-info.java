/**
 * The default backend: a QEMU {@code microvm} guest booted from the guest image, KVM where usable,
 * TCG otherwise.
 *
 * <p>Internal. May use {@code backend}, {@code channel}, {@code guestimage} and {@code hostfs}.
 */
package dev.microvmsandbox.backend.qemu;
