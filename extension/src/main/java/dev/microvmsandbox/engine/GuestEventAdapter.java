package dev.microvmsandbox.engine;

import dev.microvmsandbox.backend.SandboxException;
import dev.microvmsandbox.channel.Message;
import java.io.PrintStream;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.platform.engine.EngineExecutionListener;
import org.junit.platform.engine.TestDescriptor;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.TestSource;
import org.junit.platform.engine.TestTag;
import org.junit.platform.engine.UniqueId;
import org.junit.platform.engine.reporting.ReportEntry;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replays a guest's test events on the host, the way the vintage engine's {@code RunListenerAdapter}
 * replays JUnit 4's: a registered node discovery already knew ({@link StaticTestDescriptor}) is
 * taken as it is, any other becomes a dynamic host descriptor; started, skipped, finished,
 * reported and printed become listener calls. The channel's decoder has checked each
 * event's shape; this class checks that it makes sense here (known ids, a parent that exists, a
 * test of this class, in an order the platform allows). An event that does not is a protocol
 * violation: logged, counted, dropped, and the class fails with it in the end.
 */
final class GuestEventAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(GuestEventAdapter.class);
    private static final int MAX_DISPLAY_NAME = 4096;
    /** Most output kept per test (stdout and stderr together); the rest is dropped with one note. */
    static final long OUTPUT_LIMIT = 16L * 1024 * 1024;

    private final GuestRun run;
    private final EngineExecutionListener listener;
    private final PrintStream out;
    private final PrintStream err;
    private final Map<TestDescriptor, Long> outputBytes = new HashMap<>();

    GuestEventAdapter(GuestRun run, EngineExecutionListener listener, PrintStream out, PrintStream err) {
        this.run = run;
        this.listener = listener;
        this.out = out;
        this.err = err;
    }

    void handle(Message.TestEvent event) {
        try {
            if (event instanceof Message.Rejected rejected) {
                throw new ProtocolViolation(
                        "a malformed " + rejected.type() + " event (" + shorten(rejected.problem()) + ")");
            }
            UniqueId id = hostId(event.uniqueId());
            if (event instanceof Message.TestRegistered e) {
                registered(id, e.node());
            } else if (event instanceof Message.TestStarted) {
                started(id);
            } else if (event instanceof Message.TestSkipped e) {
                skipped(id, e.reason());
            } else if (event instanceof Message.TestFinished e) {
                finished(id, e.status(), e.throwable());
            } else if (event instanceof Message.TestReported e) {
                reported(id, e.entries());
            } else if (event instanceof Message.TestPrinted e) {
                printed(id, e.stream(), e.text());
            }
        } catch (ProtocolViolation e) {
            violation(e.getMessage());
        } catch (RuntimeException e) {
            // the platform's own checks (a blank name, a bad tag) are the guest's fault too
            violation("an event the host could not replay: " + shorten(e.toString()));
        }
    }

    private void violation(String problem) {
        String what = "guest sent " + problem + "; dropped it";
        run.violation(what);
        LOG.warn("{}: {}", run.classDescriptor().className(), what);
    }

    /** The guest said the run is over; {@code error} is why, if it ended abnormally. */
    void runDone(String error) {
        if (error != null) {
            run.failure(new SandboxException("the guest's test run ended abnormally: " + shorten(error)));
        }
    }

    /** The run ended without the guest saying so: every test still running fails with {@code cause}. */
    void abort(Throwable cause) {
        run.failure(cause);
    }

    /** Ends the class on the host: open tests fail with the run's failure, then the class finishes. */
    void finishClass() {
        if (run.classSkipped()) {
            return;
        }
        ensureClassStarted();
        Throwable failure = run.failure().orElse(null);
        SandboxedClassDescriptor cls = run.classDescriptor();
        for (TestDescriptor open : run.openDescendants(cls)) {
            Throwable cause = failure != null
                    ? failure
                    : new SandboxException("the guest said its run was done but never finished " + open.getDisplayName()
                            + brokenProtocol());
            end(open, TestExecutionResult.failed(cause));
        }
        listener.executionFinished(cls, classResult(failure));
    }

    /** The guest's own failure of the class first, then the run's, the guest engine's, and a broken protocol. */
    private TestExecutionResult classResult(Throwable failure) {
        Optional<TestExecutionResult> guestFailure =
                run.guestClassResult().filter(r -> r.getStatus() != TestExecutionResult.Status.SUCCESSFUL);
        if (guestFailure.isPresent()) {
            return guestFailure.get();
        }
        if (failure != null) {
            return TestExecutionResult.failed(failure);
        }
        Optional<TestExecutionResult> engineFailure =
                run.guestEngineResult().filter(r -> r.getStatus() != TestExecutionResult.Status.SUCCESSFUL);
        if (engineFailure.isPresent()) {
            return engineFailure.get();
        }
        if (run.violationCount() > 0) {
            return TestExecutionResult.failed(new SandboxException(violations()));
        }
        return TestExecutionResult.successful();
    }

    private String brokenProtocol() {
        return run.violationCount() == 0 ? "" : "; " + violations();
    }

    private String violations() {
        return "the guest broke the protocol " + run.violationCount() + " time(s), first: "
                + run.violations().get(0);
    }

    private void registered(UniqueId id, Message.TestNode node) throws ProtocolViolation {
        if (run.isGuestEngine(id) || run.isClass(id)) {
            return;
        }
        Optional<TestDescriptor> known = run.descriptor(id);
        if (known.isPresent()) {
            if (run.confirm(known.get())) {
                return;
            }
            throw new ProtocolViolation("a second registration of " + id);
        }
        if (!id.hasPrefix(run.classDescriptor().getUniqueId())) {
            throw new ProtocolViolation(
                    id + ", which is not part of " + run.classDescriptor().className());
        }
        if (node.parentId() == null) {
            throw new ProtocolViolation(id + " without a parent");
        }
        UniqueId parentId = hostId(node.parentId());
        TestDescriptor parent = run.descriptor(parentId)
                .orElseThrow(() -> new ProtocolViolation(id + " under " + parentId + ", which was never registered"));
        if (!id.hasPrefix(parentId)) {
            throw new ProtocolViolation(id + " under " + parentId + ", which is not its parent");
        }
        if (run.isFull()) {
            throw new ProtocolViolation("more than " + GuestRun.MAX_NODES + " tests");
        }
        String displayName = node.displayName() == null || node.displayName().isBlank()
                ? id.getLastSegment().getValue()
                : ThrowableRebuilder.cap(node.displayName(), MAX_DISPLAY_NAME);
        String legacyName = node.legacyName() == null || node.legacyName().isBlank()
                ? displayName
                : ThrowableRebuilder.cap(node.legacyName(), MAX_DISPLAY_NAME);
        GuestTestDescriptor d = new GuestTestDescriptor(
                id,
                displayName,
                legacyName,
                TestDescriptor.Type.valueOf(node.type().name()),
                source(node),
                tags(node));
        parent.addChild(d);
        run.registered(d);
        listener.dynamicTestRegistered(d);
    }

    private void started(UniqueId id) throws ProtocolViolation {
        if (run.isGuestEngine(id)) {
            return;
        }
        if (run.isClass(id)) {
            ensureClassStarted();
            return;
        }
        TestDescriptor d = known(id);
        if (run.isOpen(d) || run.isDone(d)) {
            throw new ProtocolViolation("a second start of " + id);
        }
        ensureParentsStarted(d);
        listener.executionStarted(d);
        run.started(d);
    }

    private void skipped(UniqueId id, String reason) throws ProtocolViolation {
        String why = reason == null ? "" : reason;
        if (run.isGuestEngine(id)) {
            return;
        }
        if (run.isClass(id)) {
            if (run.classStarted() || run.classSkipped()) {
                throw new ProtocolViolation("a skip of " + id + ", which already ran");
            }
            listener.executionSkipped(run.classDescriptor(), why);
            run.classSkipped(true);
            return;
        }
        TestDescriptor d = known(id);
        if (run.isOpen(d) || run.isDone(d)) {
            throw new ProtocolViolation("a skip of " + id + ", which already ran");
        }
        ensureParentsStarted(d);
        listener.executionSkipped(d, why);
        run.ended(d);
    }

    private void finished(UniqueId id, Message.Status status, Message.ThrowableData throwable)
            throws ProtocolViolation {
        TestExecutionResult result = result(status, throwable);
        if (run.isGuestEngine(id)) {
            run.guestEngineResult(result);
            return;
        }
        if (run.isClass(id)) {
            run.guestClassResult(result);
            return;
        }
        TestDescriptor d = known(id);
        if (!run.isOpen(d)) {
            throw new ProtocolViolation("the end of " + id + ", which was not running");
        }
        for (TestDescriptor child : run.openDescendants(d)) {
            end(
                    child,
                    TestExecutionResult.failed(
                            new SandboxException("the guest finished " + d.getDisplayName() + " before this")));
        }
        end(d, result);
    }

    private void reported(UniqueId id, Map<String, String> entries) throws ProtocolViolation {
        TestDescriptor d = outputTarget(id, "a report");
        listener.reportingEntryPublished(d, ReportEntry.from(new LinkedHashMap<>(entries)));
    }

    private void printed(UniqueId id, Message.Output stream, String text) throws ProtocolViolation {
        TestDescriptor d = outputTarget(id, "output");
        if (!withinOutputLimit(d, text.length())) {
            return;
        }
        // Surefire and IDEs attribute output to the test running on the host now, which is this one
        PrintStream target = stream == Message.Output.STDOUT ? out : err;
        target.print(text);
        target.flush();
        if (!text.isBlank()) {
            listener.reportingEntryPublished(
                    d, ReportEntry.from(stream == Message.Output.STDOUT ? "stdout" : "stderr", text));
        }
    }

    /** Where a report or output goes: a node of the guest's, or the class for the class's own and its engine's. */
    private TestDescriptor outputTarget(UniqueId id, String what) throws ProtocolViolation {
        if (run.isGuestEngine(id) || run.isClass(id)) {
            // output of @BeforeAll and friends belongs to the class
            if (run.classSkipped()) {
                throw new ProtocolViolation(what + " for " + id + " in a skipped class");
            }
            ensureClassStarted();
            return run.classDescriptor();
        }
        return known(id);
    }

    /** Counts a test's output; past the limit, says so once and drops the rest. */
    private boolean withinOutputLimit(TestDescriptor d, long size) {
        if (size == 0) {
            return true;
        }
        long before = outputBytes.getOrDefault(d, 0L);
        outputBytes.put(d, before + size);
        if (before + size <= OUTPUT_LIMIT) {
            return true;
        }
        if (before <= OUTPUT_LIMIT) {
            String note = "\n[output truncated: " + d.getDisplayName() + " printed more than " + (OUTPUT_LIMIT >> 20)
                    + " MiB; the rest was dropped]\n";
            out.print(note);
            out.flush();
            listener.reportingEntryPublished(d, ReportEntry.from("stdout", note));
        }
        return false;
    }

    private void end(TestDescriptor d, TestExecutionResult result) {
        run.ended(d);
        listener.executionFinished(d, result);
    }

    private void ensureClassStarted() {
        if (!run.classStarted() && !run.classSkipped()) {
            listener.executionStarted(run.classDescriptor());
            run.classStarted(true);
        }
    }

    /** The platform wants parents running before their children start; a guest out of order gets them started. */
    private void ensureParentsStarted(TestDescriptor d) throws ProtocolViolation {
        ensureClassStarted();
        if (run.classSkipped()) {
            throw new ProtocolViolation("an event for " + d.getUniqueId() + " in a skipped class");
        }
        TestDescriptor parent = d.getParent().orElse(null);
        if (parent != null && parent != run.classDescriptor() && !run.isOpen(parent)) {
            if (run.isDone(parent)) {
                throw new ProtocolViolation("an event for " + d.getUniqueId() + " after its parent ended");
            }
            ensureParentsStarted(parent);
            listener.executionStarted(parent);
            run.started(parent);
        }
    }

    private TestDescriptor known(UniqueId id) throws ProtocolViolation {
        Optional<TestDescriptor> d = run.descriptor(id);
        if (d.isEmpty() || d.get() == run.classDescriptor()) {
            throw new ProtocolViolation("an event for " + id + ", which was never registered");
        }
        return d.get();
    }

    private static TestExecutionResult result(Message.Status status, Message.ThrowableData throwable) {
        return switch (status) {
            case SUCCESSFUL -> TestExecutionResult.successful();
            case ABORTED -> TestExecutionResult.aborted(ThrowableRebuilder.rebuild(throwable, true));
            case FAILED -> TestExecutionResult.failed(ThrowableRebuilder.rebuild(throwable, false));
        };
    }

    private static UniqueId hostId(String guestId) throws ProtocolViolation {
        try {
            return GuestIds.toHost(guestId);
        } catch (IllegalArgumentException e) {
            throw new ProtocolViolation("a bad unique id '" + shorten(guestId) + "' (" + e.getMessage() + ")");
        }
    }

    /** The decoder has checked the names' form; nothing here loads a class. */
    private static TestSource source(Message.TestNode node) {
        if (node.className() == null) {
            return null;
        }
        if (node.methodName() == null) {
            return ClassSource.from(node.className());
        }
        return MethodSource.from(
                node.className(),
                node.methodName(),
                node.methodParameterTypes() == null ? "" : node.methodParameterTypes());
    }

    private static Set<TestTag> tags(Message.TestNode node) {
        Set<TestTag> tags = new LinkedHashSet<>();
        if (node.tags() != null) {
            node.tags().stream().filter(TestTag::isValid).map(TestTag::create).forEach(tags::add);
        }
        return tags;
    }

    private static String shorten(String s) {
        return s == null ? "null" : s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }

    /** An event the protocol does not allow. */
    static final class ProtocolViolation extends Exception {
        private static final long serialVersionUID = 1L;

        ProtocolViolation(String message) {
            super(message, null, false, false);
        }
    }
}
