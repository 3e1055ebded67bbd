package dev.microvmsandbox.engine;

/**
 * A guest {@link AssertionError} other than opentest4j's, rebuilt on the host: still an
 * {@code AssertionError}, so reports count it as a failure, showing the guest's class name.
 */
final class GuestAssertionError extends AssertionError {

    private static final long serialVersionUID = 1L;

    private final String guestClassName;

    GuestAssertionError(String guestClassName, String message, Throwable cause) {
        super(message, cause);
        this.guestClassName = guestClassName;
    }

    @Override
    public String toString() {
        return describe(guestClassName, getLocalizedMessage());
    }

    static String describe(String className, String message) {
        return message == null ? className : className + ": " + message;
    }
}
