/**
 * The annotation a test class carries to run inside a microVM: {@link dev.microvmsandbox.MicroVmSandbox}.
 *
 * <p>Public API. Uses no other package of this library.
 */
package dev.microvmsandbox;
