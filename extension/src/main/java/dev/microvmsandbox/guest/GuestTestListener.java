package dev.microvmsandbox.guest;

import dev.microvmsandbox.channel.Channel;
import dev.microvmsandbox.channel.Message;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.TestSource;
import org.junit.platform.engine.reporting.ReportEntry;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/** Turns the guest launcher's events into {@link Message.TestEvent}s for the host, each small enough to send. */
final class GuestTestListener implements TestExecutionListener {

    static final int MAX_TEXT = 16 * 1024;
    static final int MAX_NAME = 4 * 1024;
    static final int MAX_TAG = 256;
    static final int MAX_TAGS = 64;

    private final Channel channel;
    private final int runId;
    private final TestOutput output;
    private final Map<String, TestOutput.Target> printing = new ConcurrentHashMap<>();

    GuestTestListener(Channel channel, int runId, TestOutput output) {
        this.channel = channel;
        this.runId = runId;
        this.output = output;
    }

    @Override
    public void testPlanExecutionStarted(TestPlan plan) {
        for (TestIdentifier root : plan.getRoots()) {
            registerTree(plan, root);
        }
    }

    private void registerTree(TestPlan plan, TestIdentifier node) {
        send(new Message.TestRegistered(runId, node(node)));
        for (TestIdentifier child : plan.getChildren(node)) {
            registerTree(plan, child);
        }
    }

    @Override
    public void dynamicTestRegistered(TestIdentifier node) {
        send(new Message.TestRegistered(runId, node(node)));
    }

    @Override
    public void executionStarted(TestIdentifier node) {
        String id = uniqueId(node);
        send(new Message.TestStarted(runId, id));
        TestOutput.Target target =
                new TestOutput.Target((stream, text) -> send(new Message.TestPrinted(runId, id, stream, text)));
        printing.put(node.getUniqueId(), target);
        output.started(target);
    }

    @Override
    public void executionSkipped(TestIdentifier node, String reason) {
        send(new Message.TestSkipped(runId, uniqueId(node), cap(reason, MAX_TEXT)));
    }

    @Override
    public void executionFinished(TestIdentifier node, TestExecutionResult result) {
        TestOutput.Target target = printing.remove(node.getUniqueId());
        if (target != null) {
            output.finished(target);
        }
        Message.ThrowableData throwable =
                result.getThrowable().map(PlainThrowable::of).orElse(null);
        send(new Message.TestFinished(
                runId, uniqueId(node), Message.Status.valueOf(result.getStatus().name()), throwable));
    }

    @Override
    public void reportingEntryPublished(TestIdentifier node, ReportEntry entry) {
        String id = uniqueId(node);
        for (Map.Entry<String, String> e : entry.getKeyValuePairs().entrySet()) {
            send(new Message.TestReported(runId, id, Map.of(cap(e.getKey(), MAX_TAG), cap(e.getValue(), MAX_TEXT))));
        }
    }

    private static String uniqueId(TestIdentifier node) {
        return cap(node.getUniqueId(), MAX_NAME);
    }

    static Message.TestNode node(TestIdentifier id) {
        String className = null;
        String methodName = null;
        String parameterTypes = null;
        TestSource source = id.getSource().orElse(null);
        if (source instanceof MethodSource m) {
            className = m.getClassName();
            methodName = m.getMethodName();
            parameterTypes = m.getMethodParameterTypes();
        } else if (source instanceof ClassSource c) {
            className = c.getClassName();
        }
        List<String> tags = id.getTags().stream()
                .map(t -> cap(t.getName(), MAX_TAG))
                .limit(MAX_TAGS)
                .toList();
        return new Message.TestNode(
                uniqueId(id),
                id.getParentId().map(p -> cap(p, MAX_NAME)).orElse(null),
                cap(id.getDisplayName(), MAX_NAME),
                cap(id.getLegacyReportingName(), MAX_NAME),
                Message.NodeType.valueOf(id.getType().name()),
                cap(className, MAX_NAME),
                cap(methodName, MAX_NAME),
                cap(parameterTypes, MAX_NAME),
                tags);
    }

    static String cap(String s, int max) {
        if (s == null || s.length() <= max) {
            return s;
        }
        return s.substring(0, max) + "... [" + (s.length() - max) + " more characters cut in the sandbox]";
    }

    private void send(Message.TestEvent event) {
        try {
            channel.send(event);
        } catch (IOException e) {
            // the host is gone; the run ends on its own and nobody will read more
        }
    }
}
