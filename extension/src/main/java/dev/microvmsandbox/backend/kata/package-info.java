/**
 * What the two Kata backends share: the sandbox image run as a container, non-privileged with the
 * recipe's capabilities, its guest reached over the container's attached stdio. The host's files
 * go in on stdin first ({@link dev.microvmsandbox.backend.kata.GuestFiles}), the channel follows on
 * the same stream ({@link dev.microvmsandbox.backend.kata.ContainerSandbox}); runtimes without a VM
 * are refused unless a setting allows them ({@link dev.microvmsandbox.backend.kata.VmBoundary}).
 *
 * <p>Internal. May use {@code backend} and {@code channel}.
 */
package dev.microvmsandbox.backend.kata;
