/**
 * The {@code kata-kubernetes} backend: one Pod per sandbox in a Kata RuntimeClass, through the
 * fabric8 Kubernetes client (relocated into this library's jar).
 *
 * <p>Internal. May use {@code backend}, {@code backend.kata} and {@code channel}.
 */
package dev.microvmsandbox.backend.kata.kubernetes;
