package dev.microvmsandbox.backend;

/** A sandbox could not be created, died, or refused a request; the message says what to do. */
public class SandboxException extends RuntimeException {

    public SandboxException(String message) {
        super(message);
    }

    public SandboxException(String message, Throwable cause) {
        super(message, cause);
    }
}
