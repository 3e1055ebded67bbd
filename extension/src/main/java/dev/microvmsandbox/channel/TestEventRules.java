package dev.microvmsandbox.channel;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The shape every test event must have to be replayed: required fields present, names of the form
 * a class, method or tag name has, and every string and list within its bound. Checked when an
 * event is decoded, so what reaches a receiver is either well-formed or a {@link Message.Rejected}.
 * Whether an event makes sense in its run (a known id, a parent that exists) is for the receiver.
 */
final class TestEventRules {

    /** The guest cuts names at 4 KiB and says so; a little more than that is allowed. */
    static final int MAX_NAME = 8 * 1024;

    static final int MAX_UNIQUE_ID = 4096;
    static final int MAX_TEXT = 64 * 1024;
    static final int MAX_TAGS = 64;
    static final int MAX_TAG = 256;
    static final int MAX_ENTRIES = 64;
    static final int MAX_ENTRY_KEY = 256;
    private static final Pattern CLASS_NAME = Pattern.compile("[\\p{L}\\p{N}_$.]{1,1024}");
    private static final Pattern METHOD_NAME = Pattern.compile("[\\p{L}\\p{N}_$]{1,1024}");
    private static final Pattern PARAMETER_TYPES = Pattern.compile("[\\p{L}\\p{N}_$.\\[\\];, ]{0,4096}");

    private TestEventRules() {}

    /** What is wrong with {@code event}, or {@code null} when nothing is. */
    static String problem(Message.TestEvent event) {
        if (event instanceof Message.TestRegistered e) {
            return node(e.node());
        }
        String id = uniqueId(event.uniqueId());
        if (id != null) {
            return id;
        }
        if (event instanceof Message.TestSkipped e) {
            return bounded("reason", e.reason(), MAX_TEXT);
        }
        if (event instanceof Message.TestFinished e) {
            return e.status() == null ? "no status" : null;
        }
        if (event instanceof Message.TestReported e) {
            return entries(e.entries());
        }
        if (event instanceof Message.TestPrinted e) {
            if (e.stream() == null) {
                return "no stream";
            }
            return e.text() == null ? "no text" : bounded("text", e.text(), MAX_TEXT);
        }
        return null;
    }

    private static String node(Message.TestNode node) {
        if (node == null) {
            return "no node";
        }
        String problem = uniqueId(node.uniqueId());
        if (problem != null) {
            return problem;
        }
        if (node.parentId() != null && node.parentId().length() > MAX_UNIQUE_ID) {
            return "a parent id longer than " + MAX_UNIQUE_ID;
        }
        if (node.type() == null) {
            return "no type";
        }
        problem = firstOf(
                bounded("display name", node.displayName(), MAX_NAME),
                bounded("legacy name", node.legacyName(), MAX_NAME),
                source(node),
                tags(node.tags()));
        return problem;
    }

    private static String source(Message.TestNode node) {
        if (node.className() == null) {
            return node.methodName() == null ? null : "a method without a class";
        }
        if (!CLASS_NAME.matcher(node.className()).matches()) {
            return "a bad class name '" + shorten(node.className()) + "'";
        }
        if (node.methodName() == null) {
            return null;
        }
        String parameterTypes = node.methodParameterTypes() == null ? "" : node.methodParameterTypes();
        if (!METHOD_NAME.matcher(node.methodName()).matches()
                || !PARAMETER_TYPES.matcher(parameterTypes).matches()) {
            return "a bad method '" + shorten(node.methodName()) + "(" + shorten(parameterTypes) + ")'";
        }
        return null;
    }

    private static String tags(List<String> tags) {
        if (tags == null) {
            return null;
        }
        if (tags.size() > MAX_TAGS) {
            return "more than " + MAX_TAGS + " tags";
        }
        for (String tag : tags) {
            if (tag == null || tag.length() > MAX_TAG) {
                return "a tag that is missing or longer than " + MAX_TAG;
            }
        }
        return null;
    }

    private static String entries(Map<String, String> entries) {
        if (entries == null || entries.isEmpty() || entries.size() > MAX_ENTRIES) {
            return "no or more than " + MAX_ENTRIES + " entries";
        }
        for (Map.Entry<String, String> e : entries.entrySet()) {
            // JUnit's ReportEntry takes neither a blank key nor a blank value
            if (e.getKey() == null
                    || e.getKey().isBlank()
                    || e.getKey().length() > MAX_ENTRY_KEY
                    || e.getValue() == null
                    || e.getValue().isBlank()
                    || e.getValue().length() > MAX_TEXT) {
                return "an entry without a valid key or value";
            }
        }
        return null;
    }

    private static String uniqueId(String id) {
        if (id == null || id.isEmpty()) {
            return "no unique id";
        }
        return id.length() > MAX_UNIQUE_ID ? "a unique id longer than " + MAX_UNIQUE_ID : null;
    }

    private static String bounded(String what, String value, int max) {
        return value != null && value.length() > max ? "a " + what + " longer than " + max : null;
    }

    private static String firstOf(String... problems) {
        for (String p : problems) {
            if (p != null) {
                return p;
            }
        }
        return null;
    }

    static String shorten(String s) {
        return s == null ? "null" : s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }
}
