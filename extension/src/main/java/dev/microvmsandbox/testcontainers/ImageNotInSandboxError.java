package dev.microvmsandbox.testcontainers;

import org.apiguardian.api.API;

/**
 * A container image a test asked for is not in the sandbox, which cannot pull it.
 *
 * <p>An {@link Error}, not an exception, on purpose: Testcontainers calls the pull policy inside
 * code that catches {@link Exception}, retries it and wraps it in "Can't get Docker image:
 * RemoteDockerImage(...)"; an error passes through, so the test fails at once with this message
 * first, not a retry, a wrapper or a wait-strategy timeout later.
 */
@API(status = API.Status.INTERNAL)
public final class ImageNotInSandboxError extends Error {

    private static final long serialVersionUID = 1L;

    ImageNotInSandboxError(String message) {
        super(message);
    }

    ImageNotInSandboxError(String message, Throwable cause) {
        super(message, cause);
    }
}
