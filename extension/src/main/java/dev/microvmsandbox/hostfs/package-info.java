/**
 * Where this library keeps its files on the host, and how it removes them: the cache folder shared
 * by the guest image and container image caches, and tree removal that never follows a link.
 *
 * <p>Internal. Uses no other package of this library.
 */
package dev.microvmsandbox.hostfs;
