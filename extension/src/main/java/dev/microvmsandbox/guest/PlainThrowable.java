package dev.microvmsandbox.guest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.microvmsandbox.channel.Message;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/** A guest throwable as plain data, shrunk until it fits in one channel message. */
final class PlainThrowable {

    /** Well under the channel's 256 KiB per message, leaving room for the event around it. */
    static final int MAX_JSON_BYTES = 160 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Limits[] TRIES = {
        new Limits(64 * 1024, 256, 8, 8),
        new Limits(8 * 1024, 64, 4, 2),
        new Limits(1024, 16, 1, 0),
        new Limits(256, 4, 0, 0),
    };

    private record Limits(int message, int frames, int depth, int suppressed) {}

    private PlainThrowable() {}

    static Message.ThrowableData of(Throwable t) {
        Message.ThrowableData data = null;
        for (Limits limits : TRIES) {
            data = convert(t, limits, 0, Collections.newSetFromMap(new IdentityHashMap<>()));
            if (jsonSize(data) <= MAX_JSON_BYTES) {
                return data;
            }
        }
        return data;
    }

    private static Message.ThrowableData convert(Throwable t, Limits limits, int depth, Set<Throwable> seen) {
        if (t == null || !seen.add(t)) {
            return null;
        }
        List<Message.StackFrameData> frames = Arrays.stream(t.getStackTrace())
                .limit(limits.frames())
                .map(PlainThrowable::frame)
                .toList();
        Message.ThrowableData cause = depth < limits.depth() ? convert(t.getCause(), limits, depth + 1, seen) : null;
        List<Message.ThrowableData> suppressed = new ArrayList<>();
        if (depth < limits.depth()) {
            for (Throwable s : t.getSuppressed()) {
                if (suppressed.size() >= limits.suppressed()) {
                    break;
                }
                Message.ThrowableData d = convert(s, limits, depth + 1, seen);
                if (d != null) {
                    suppressed.add(d);
                }
            }
        }
        String expected = null;
        String actual = null;
        if (t instanceof org.opentest4j.AssertionFailedError failure) {
            expected = failure.isExpectedDefined()
                    ? safely(() -> failure.getExpected().getStringRepresentation())
                    : null;
            actual =
                    failure.isActualDefined() ? safely(() -> failure.getActual().getStringRepresentation()) : null;
        }
        return new Message.ThrowableData(
                t.getClass().getName(),
                GuestTestListener.cap(safely(t::getMessage), limits.message()),
                frames,
                cause,
                suppressed,
                GuestTestListener.cap(expected, limits.message()),
                GuestTestListener.cap(actual, limits.message()),
                t instanceof AssertionError);
    }

    /** A test's exception can throw from its own getters; that must not end the run. */
    private static String safely(Supplier<String> getter) {
        try {
            return getter.get();
        } catch (RuntimeException e) {
            return "<" + e.getClass().getName() + " while reading the exception>";
        }
    }

    private static int jsonSize(Message.ThrowableData data) {
        try {
            return JSON.writeValueAsBytes(data).length;
        } catch (JsonProcessingException e) {
            return Integer.MAX_VALUE;
        }
    }

    /** A frame with the loader and module parts its {@code toString()} shows ({@code java.base/...}), no others. */
    static Message.StackFrameData frame(StackTraceElement e) {
        String shown = e.toString();
        String loader = e.getClassLoaderName() != null && shown.startsWith(e.getClassLoaderName() + "/")
                ? e.getClassLoaderName()
                : null;
        String module = e.getModuleName();
        String version =
                module != null && e.getModuleVersion() != null && shown.contains(module + "@" + e.getModuleVersion())
                        ? e.getModuleVersion()
                        : null;
        return new Message.StackFrameData(
                e.getClassName(), e.getMethodName(), e.getFileName(), e.getLineNumber(), loader, module, version);
    }
}
