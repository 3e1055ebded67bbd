/**
 * Testcontainers' side of the guest: an image pull policy, named in the guest's
 * {@code ~/.testcontainers.properties}, under which an image name a test asks for finds the image
 * preloaded into the sandbox under another registry or prefix, and a missing image fails at once
 * with the setting that provides it (the sandbox has no network to pull from).
 *
 * <p>Internal. Loaded only in the guest, by Testcontainers, when Testcontainers is on the test
 * classpath; compiled against Testcontainers' API that the 1.x and 2.x lines share. Uses no other
 * package of this library.
 */
package dev.microvmsandbox.testcontainers;
