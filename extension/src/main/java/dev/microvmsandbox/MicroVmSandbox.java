package dev.microvmsandbox;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.apiguardian.api.API;

/**
 * Runs the annotated test class inside a fresh microVM instead of the host JVM.
 *
 * <p>The class is discovered by the {@code microvm-sandbox} test engine without being loaded on
 * the host; its tests run in a guest JVM and are reported on the host as if they had run locally.
 * Inside the VM, podman serves the Docker API, so Testcontainers starts its containers nested in
 * the VM.
 *
 * <p>Every attribute left empty (or at its "unset" value) takes the configured default, read from
 * {@code junit-platform.properties} or system properties under the {@code microvm.sandbox.}
 * prefix (for example {@code microvm.sandbox.memory=2g}).
 *
 * <pre>{@code
 * @MicroVmSandbox(memory = "2g", cpus = 2, images = "docker-archive:images/redis.tar")
 * class OrderRepositoryTest { ... }
 * }</pre>
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface MicroVmSandbox {

    /** Guest memory, for example {@code "512m"} or {@code "2g"}. Default {@code microvm.sandbox.memory}, else 2g. */
    String memory() default "";

    /** Virtual CPUs; {@code 0} means the configured default ({@code microvm.sandbox.cpus}, else 2). */
    int cpus() default 0;

    /** Wall-clock limit for the whole class, for example {@code "10m"} or {@code "90s"}. */
    String timeout() default "";

    /**
     * Size of the scratch disk that holds everything the guest writes (its files, container
     * images and layers), for example {@code "512m"} or {@code "20g"}; at least 64m. Default
     * {@code microvm.sandbox.disk}, else 8g. The disk is a sparse file on the host: it takes
     * host space only as the guest writes.
     */
    String disk() default "";

    /**
     * Container images to load into the guest's podman before the class runs, each either an
     * image archive ({@code docker-archive:PATH} or {@code oci-archive:PATH}, relative to the
     * project directory) or an image name exported from a container engine on the host.
     */
    String[] images() default {};

    /** Environment entries {@code NAME=value} for the guest; nothing of the host's environment passes otherwise. */
    String[] env() default {};

    /** Whether this class shares the run's VM or gets its own. */
    Isolation isolation() default Isolation.DEFAULT;

    /**
     * The sandbox's own scope choice.
     */
    enum Isolation {
        /** The configured default ({@code microvm.sandbox.isolation}, else {@link #PER_RUN}). */
        DEFAULT,
        /** One VM serves every sandboxed class of the test run that asks for the same limits. */
        PER_RUN,
        /** The class gets a VM of its own, destroyed after it. */
        PER_CLASS
    }
}
