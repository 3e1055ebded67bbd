package dev.microvmsandbox.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.platform.engine.EngineExecutionListener;
import org.junit.platform.engine.TestDescriptor;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.reporting.ReportEntry;

/** Writes down what an engine tells the platform, one line per call, with the last segment of each id. */
final class RecordingListener implements EngineExecutionListener {

    final List<String> calls = new ArrayList<>();
    final Map<String, TestExecutionResult> results = new ConcurrentHashMap<>();

    @Override
    public synchronized void dynamicTestRegistered(TestDescriptor d) {
        calls.add("registered " + name(d) + " under "
                + d.getParent().map(RecordingListener::name).orElse("-"));
    }

    @Override
    public synchronized void executionSkipped(TestDescriptor d, String reason) {
        calls.add("skipped " + name(d) + ": " + reason);
    }

    @Override
    public synchronized void executionStarted(TestDescriptor d) {
        calls.add("started " + name(d));
    }

    @Override
    public synchronized void executionFinished(TestDescriptor d, TestExecutionResult result) {
        calls.add("finished " + name(d) + " " + result.getStatus());
        results.put(name(d), result);
    }

    @Override
    public synchronized void reportingEntryPublished(TestDescriptor d, ReportEntry entry) {
        calls.add("reported " + name(d) + " " + entry.getKeyValuePairs());
    }

    static String name(TestDescriptor d) {
        return d.getUniqueId().getLastSegment().getValue();
    }
}
