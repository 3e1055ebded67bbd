/**
 * The {@code kata-docker} backend: the sandbox image as a container with a Kata Containers runtime
 * on a Docker Engine API (Docker 23+ or podman's), through docker-java.
 *
 * <p>Internal. May use {@code backend}, {@code backend.kata}, {@code channel}, {@code guestimage}
 * (the sandbox image archive) and {@code containerimage} (reading an archive's image names).
 */
package dev.microvmsandbox.backend.kata.docker;
