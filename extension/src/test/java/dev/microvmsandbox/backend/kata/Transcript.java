package dev.microvmsandbox.backend.kata;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.reporting.ReportEntry;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.opentest4j.AssertionFailedError;

/**
 * What a launcher reported, as plain lines, one per event: what must be the same whichever backend
 * ran the classes. Line breaks inside a value are written as {@code \n}, so a line travels as one
 * line of a guest's stdout. Only the kernel a test reports may differ, and is masked.
 */
public final class Transcript implements TestExecutionListener {

    private final List<String> lines = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void executionStarted(TestIdentifier id) {
        lines.add("STARTED " + describe(id));
    }

    @Override
    public void executionSkipped(TestIdentifier id, String reason) {
        lines.add("SKIPPED " + describe(id) + " | " + reason);
    }

    @Override
    public void executionFinished(TestIdentifier id, TestExecutionResult result) {
        lines.add("FINISHED " + describe(id) + outcome(result));
    }

    /** A result as a transcript writes it: status, and the throwable's class, message, diff and cause. */
    public static String outcome(TestExecutionResult result) {
        StringBuilder s = new StringBuilder(" | " + result.getStatus());
        result.getThrowable().ifPresent(t -> {
            s.append(" | ").append(t.getClass().getName()).append(": ").append(t.getMessage());
            if (t instanceof AssertionFailedError a && a.isExpectedDefined()) {
                s.append(" | expected ").append(a.getExpected().getStringRepresentation());
                s.append(" actual ").append(a.getActual().getStringRepresentation());
            }
            if (t.getCause() != null) {
                s.append(" | cause ").append(t.getCause());
            }
        });
        return s.toString();
    }

    @Override
    public void reportingEntryPublished(TestIdentifier id, ReportEntry entry) {
        lines.add("REPORTED " + describe(id) + entries(entry));
    }

    /**
     * A report entry as a transcript writes it: its pairs sorted by key, the kernel a test reports
     * masked (the one value meant to differ between backends).
     */
    public static String entries(ReportEntry entry) {
        Map<String, String> entries = new TreeMap<>(entry.getKeyValuePairs());
        entries.replaceAll((k, v) -> v.replaceAll("kernel=\\S+", "kernel=..."));
        return " | " + entries;
    }

    private static String describe(TestIdentifier id) {
        return id.getUniqueId() + " | " + id.getDisplayName() + " | " + id.getLegacyReportingName() + " | "
                + id.getType();
    }

    /** Every line so far, line breaks inside a value written as {@code \n}. */
    public List<String> lines() {
        synchronized (lines) {
            return lines.stream()
                    .map(l -> l.replace("\r", "\\r").replace("\n", "\\n"))
                    .toList();
        }
    }

    /** The lines of {@code transcript} about {@code className} (its unique id names it), in their order. */
    public static List<String> of(String className, List<String> transcript) {
        return transcript.stream()
                .filter(l -> l.contains("[class:" + className + "]"))
                .toList();
    }
}
