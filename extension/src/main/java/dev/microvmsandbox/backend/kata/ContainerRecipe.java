package dev.microvmsandbox.backend.kata;

import java.util.List;
import org.apiguardian.api.API;

/**
 * How the sandbox image runs as a container, the way the Kata recipe found it works: on a Kata
 * node the VM is the boundary, so the container stays non-privileged (a privileged one makes Kata
 * hot-plug the host's devices into the guest) and gets these capabilities on top of the runtime's
 * default set, which the bootstrap needs to delegate cgroups, remount {@code /proc/sys} and run
 * podman inside.
 */
@API(status = API.Status.INTERNAL)
public final class ContainerRecipe {

    /** Added to the runtime's default capabilities; nothing else is added, nothing is privileged. */
    public static final List<String> CAPABILITIES = List.of(
            "SYS_ADMIN",
            "SYS_RESOURCE",
            "NET_ADMIN",
            "MKNOD",
            "SETUID",
            "SETGID",
            "SYS_CHROOT",
            "NET_RAW",
            "SYS_PTRACE");

    /** The bootstrap's arguments in a sandbox: receive the files on stdin, then run the agent. */
    public static final List<String> ARGUMENTS = List.of("--agent");

    /** The container's name in a Pod, and the host name inside. */
    public static final String NAME = "sandbox";

    private ContainerRecipe() {}
}
