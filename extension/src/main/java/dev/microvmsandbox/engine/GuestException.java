package dev.microvmsandbox.engine;

/**
 * An exception thrown in the guest, rebuilt on the host from plain data. Its type cannot be the
 * guest's (that class may not be trusted on the host), so it shows the guest's class name where
 * a throwable shows its own: {@code java.lang.IllegalStateException: boom}.
 */
final class GuestException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String guestClassName;

    GuestException(String guestClassName, String message, Throwable cause) {
        super(message, cause);
        this.guestClassName = guestClassName;
    }

    @Override
    public String toString() {
        return GuestAssertionError.describe(guestClassName, getLocalizedMessage());
    }
}
