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
        send(event("registered", node));
        for (TestIdentifier child : plan.getChildren(node)) {
            registerTree(plan, child);
        }
    }

    @Override
    public void dynamicTestRegistered(TestIdentifier node) {
        send(event("registered", node));
    }

    @Override
    public void executionStarted(TestIdentifier node) {
        send(event("started", node));
        Message.TestNode plain = node(node);
        TestOutput.Target target = new TestOutput.Target((stream, text) -> send(
                new Message.TestEvent(runId, "reported", plain, null, null, null, Map.of(stream, text), null, null)));
        printing.put(node.getUniqueId(), target);
        output.started(target);
    }

    @Override
    public void executionSkipped(TestIdentifier node, String reason) {
        send(new Message.TestEvent(runId, "skipped", node(node), null, cap(reason, MAX_TEXT), null, null, null, null));
    }

    @Override
    public void executionFinished(TestIdentifier node, TestExecutionResult result) {
        TestOutput.Target target = printing.remove(node.getUniqueId());
        if (target != null) {
            output.finished(target);
        }
        Message.ThrowableData throwable =
                result.getThrowable().map(PlainThrowable::of).orElse(null);
        send(new Message.TestEvent(
                runId, "finished", node(node), result.getStatus().name(), null, throwable, null, null, null));
    }

    @Override
    public void reportingEntryPublished(TestIdentifier node, ReportEntry entry) {
        Message.TestNode plain = node(node);
        for (Map.Entry<String, String> e : entry.getKeyValuePairs().entrySet()) {
            String value = e.getValue();
            if (e.getKey().equals("stdout") || e.getKey().equals("stderr")) {
                // output can be long: send it whole, in pieces that fit a message
                for (int at = 0; at < value.length(); at += MAX_TEXT) {
                    String piece = value.substring(at, Math.min(value.length(), at + MAX_TEXT));
                    send(new Message.TestEvent(
                            runId, "reported", plain, null, null, null, Map.of(e.getKey(), piece), null, null));
                }
            } else {
                send(new Message.TestEvent(
                        runId,
                        "reported",
                        plain,
                        null,
                        null,
                        null,
                        Map.of(cap(e.getKey(), 256), cap(value, MAX_TEXT)),
                        null,
                        null));
            }
        }
    }

    private Message.TestEvent event(String name, TestIdentifier node) {
        return new Message.TestEvent(runId, name, node(node), null, null, null, null, null, null);
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
        List<String> tags =
                id.getTags().stream().map(t -> cap(t.getName(), 256)).limit(64).toList();
        return new Message.TestNode(
                cap(id.getUniqueId(), MAX_NAME),
                id.getParentId().map(p -> cap(p, MAX_NAME)).orElse(null),
                cap(id.getDisplayName(), MAX_NAME),
                cap(id.getLegacyReportingName(), MAX_NAME),
                id.getType().name(),
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
