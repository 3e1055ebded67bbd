/**
 * Chooses the backend of a run from {@code microvm.sandbox.backend}: a named one, or the first
 * available in a fixed order.
 *
 * <p>Internal. May use {@code backend} and the backend implementations.
 */
package dev.microvmsandbox.backend.selection;
