package dev.microvmsandbox.engine;

import dev.microvmsandbox.channel.Message;
import java.util.List;
import java.util.regex.Pattern;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;
import org.opentest4j.TestSkippedException;

/**
 * Turns a guest throwable, plain data, into a throwable of a type the host trusts, carrying the
 * guest's class name, message, stack trace, causes and suppressed exceptions.
 */
final class ThrowableRebuilder {

    static final int MAX_DEPTH = 8;
    static final int MAX_SUPPRESSED = 16;
    static final int MAX_FRAMES = 256;
    static final int MAX_MESSAGE = 64 * 1024;
    private static final Pattern CLASS_NAME = Pattern.compile("[\\p{L}\\p{N}_$.]{1,512}");
    private static final Pattern NAME = Pattern.compile("[\\p{L}\\p{N}_$<>.\\-]{1,512}");
    private static final Pattern LOADER_OR_MODULE = Pattern.compile("[\\p{L}\\p{N}_$.\\-]{1,256}");
    private static final Pattern VERSION = Pattern.compile("[\\p{L}\\p{N}_.+\\-]{1,128}");

    private ThrowableRebuilder() {}

    /**
     * @param aborted whether the guest test was aborted: the result is then a {@link TestAbortedException}
     */
    static Throwable rebuild(Message.ThrowableData data, boolean aborted) {
        Throwable t = rebuild(data, 0);
        if (aborted && !(t instanceof TestAbortedException)) {
            TestAbortedException abort = new TestAbortedException(t.toString(), t);
            abort.setStackTrace(t.getStackTrace());
            return abort;
        }
        return t;
    }

    private static Throwable rebuild(Message.ThrowableData data, int depth) {
        if (data == null) {
            return new GuestException("<unknown>", "the guest sent no exception", null);
        }
        String className =
                data.className() != null && CLASS_NAME.matcher(data.className()).matches()
                        ? data.className()
                        : "<invalid class name>";
        String message = cap(data.message(), MAX_MESSAGE);
        Throwable cause = depth < MAX_DEPTH && data.cause() != null ? rebuild(data.cause(), depth + 1) : null;
        Throwable t = create(className, message, data, cause);
        t.setStackTrace(frames(data.stackTrace()));
        if (depth < MAX_DEPTH && data.suppressed() != null) {
            data.suppressed().stream().limit(MAX_SUPPRESSED).forEach(s -> t.addSuppressed(rebuild(s, depth + 1)));
        }
        return t;
    }

    private static Throwable create(String className, String message, Message.ThrowableData data, Throwable cause) {
        switch (className) {
            case "org.opentest4j.AssertionFailedError":
                if (data.expected() != null || data.actual() != null) {
                    return new AssertionFailedError(
                            message, cap(data.expected(), MAX_MESSAGE), cap(data.actual(), MAX_MESSAGE), cause);
                }
                return new AssertionFailedError(message, cause);
            case "org.opentest4j.TestAbortedException":
                return new TestAbortedException(message, cause);
            case "org.opentest4j.TestSkippedException":
                return new TestSkippedException(message, cause);
            default:
                return data.assertionError()
                        ? new GuestAssertionError(className, message, cause)
                        : new GuestException(className, message, cause);
        }
    }

    private static StackTraceElement[] frames(List<Message.StackFrameData> frames) {
        if (frames == null) {
            return new StackTraceElement[0];
        }
        return frames.stream()
                .limit(MAX_FRAMES)
                .filter(f -> f != null
                        && f.className() != null
                        && CLASS_NAME.matcher(f.className()).matches()
                        && f.methodName() != null
                        && NAME.matcher(f.methodName()).matches())
                .map(f -> new StackTraceElement(
                        valid(f.classLoaderName(), LOADER_OR_MODULE),
                        valid(f.moduleName(), LOADER_OR_MODULE),
                        valid(f.moduleVersion(), VERSION),
                        f.className(),
                        f.methodName(),
                        valid(f.fileName(), NAME),
                        Math.max(-2, f.lineNumber())))
                .toArray(StackTraceElement[]::new);
    }

    private static String valid(String s, Pattern pattern) {
        return s != null && pattern.matcher(s).matches() ? s : null;
    }

    static String cap(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max) + "...";
    }
}
