package dev.microvmsandbox.fork;

/** The fork cannot run; the message says why and what to do. */
final class LaunchFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    LaunchFailure(String message) {
        super(message);
    }
}
