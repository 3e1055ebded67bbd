package dev.microvmsandbox.backend;

import dev.microvmsandbox.channel.Channel;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.apiguardian.api.API;

/**
 * A running, ready guest: booted, bootstrap done, podman answering, guest agent connected.
 *
 * <p>Closing it destroys the VM and everything it wrote. A sandbox also dies on its own when its
 * timeout passes or the guest crashes; {@link #deathCause()} then says why, and every pending
 * request fails with that cause.
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public interface Sandbox extends AutoCloseable {

    /** A short name for logs, unique in this JVM. */
    String id();

    SandboxConfig config();

    /** The link to the guest agent. */
    Channel channel();

    /** What the accelerator chosen for this sandbox was, and why. */
    String acceleration();

    /** The last lines the guest printed on its console (kernel and bootstrap), for error reports. */
    String consoleTail();

    /**
     * Why the sandbox is dead, if it is: timeout, crash, exit, channel failure. Empty until the
     * backend has read everything the guest said before it stopped.
     */
    Optional<String> deathCause();

    /**
     * Waits until the sandbox has stopped and why is known; call it once the {@linkplain #channel()
     * channel} has failed. A backend bounds the wait: a sandbox that does not stop within its grace
     * is destroyed. The default answers at once with {@link #deathCause()}.
     */
    default Optional<String> awaitDeathCause() {
        return deathCause();
    }

    /**
     * Whether the guest's CPU is emulated (QEMU's TCG) rather than run by the host's: code, and the
     * JIT compiling it, runs many times slower. The default answers no.
     */
    default boolean emulatesCpu() {
        return false;
    }

    /**
     * The image archives of {@link SandboxConfig#images()} this sandbox held when it was ready. A
     * backend that does not start sandboxes with images answers none (the default), and the caller
     * loads them itself.
     */
    default List<Path> startedWithImages() {
        return List.of();
    }

    /** Runs a command in the guest and waits for it. */
    default CommandResult exec(Command command) {
        return new GuestRequests(this).exec(command);
    }

    /** Copies a host file into the guest at {@code guestPath} with the given permission bits. */
    default void copyIn(Path hostFile, String guestPath, int mode) {
        new GuestRequests(this).copyIn(hostFile, guestPath, mode);
    }

    /**
     * Copies a guest file to {@code hostFile}; fails if it is larger than {@code maxBytes}.
     *
     * @return the number of bytes copied
     */
    default long copyOut(String guestPath, Path hostFile, long maxBytes) {
        return new GuestRequests(this).copyOut(guestPath, hostFile, maxBytes);
    }

    /** Destroys the VM. Idempotent. */
    @Override
    void close();
}
