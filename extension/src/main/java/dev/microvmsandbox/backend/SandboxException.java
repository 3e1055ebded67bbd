package dev.microvmsandbox.backend;

import org.apiguardian.api.API;

/** A sandbox could not be created, died, or refused a request; the message says what to do. */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public class SandboxException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public SandboxException(String message) {
        super(message);
    }

    public SandboxException(String message, Throwable cause) {
        super(message, cause);
    }
}
