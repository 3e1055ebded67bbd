package dev.microvmsandbox.engine;

import dev.microvmsandbox.backend.SandboxException;
import dev.microvmsandbox.channel.Message;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
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
 * replays JUnit 4's: registered descriptors become dynamic host descriptors, started, skipped,
 * finished and reported become listener calls. Each event is validated first; an event the
 * protocol does not allow (unknown ids, a parent that does not exist, a test of another class)
 * is logged and dropped.
 */
final class GuestEventAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(GuestEventAdapter.class);
    private static final int MAX_DISPLAY_NAME = 4096;
    private static final int MAX_ENTRIES = 64;
    private static final int MAX_ENTRY_KEY = 256;
    private static final int MAX_ENTRY_VALUE = 64 * 1024;
    private static final Pattern CLASS_NAME = Pattern.compile("[\\p{L}\\p{N}_$.]{1,1024}");
    private static final Pattern METHOD_NAME = Pattern.compile("[\\p{L}\\p{N}_$]{1,1024}");
    private static final Pattern PARAMETER_TYPES = Pattern.compile("[\\p{L}\\p{N}_$.\\[\\];, ]{0,4096}");
    private static final Set<String> TYPES = Set.of("CONTAINER", "TEST", "CONTAINER_AND_TEST");
    /** Most output kept per test (stdout and stderr together); the rest is dropped with one note. */
    static final long OUTPUT_LIMIT = 16L * 1024 * 1024;

    private final GuestRun run;
    private final EngineExecutionListener listener;
    private final PrintStream out;
    private final PrintStream err;
    private final java.util.Map<TestDescriptor, Long> outputBytes = new java.util.HashMap<>();

    GuestEventAdapter(GuestRun run, EngineExecutionListener listener, PrintStream out, PrintStream err) {
        this.run = run;
        this.listener = listener;
        this.out = out;
        this.err = err;
    }

    void handle(Message.TestEvent event) {
        try {
            if (event.event() == null) {
                throw new ProtocolViolation("an event without a name");
            }
            if (event.node() == null) {
                throw new ProtocolViolation("a " + event.event() + " event without a node");
            }
            UniqueId id = hostId(event.node().uniqueId());
            switch (event.event()) {
                case "registered" -> registered(id, event.node());
                case "started" -> started(id);
                case "skipped" -> skipped(id, event.reason());
                case "finished" -> finished(id, event.status(), event.throwable());
                case "reported" -> reported(id, event.entries());
                default -> throw new ProtocolViolation("an unknown event '" + shorten(event.event()) + "'");
            }
        } catch (ProtocolViolation e) {
            String what = "guest sent " + e.getMessage() + "; dropped it";
            run.violation(what);
            LOG.warn("{}: {}", run.classDescriptor().className(), what);
        }
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
        TestExecutionResult result = run.guestClassResult()
                .filter(r -> r.getStatus() != TestExecutionResult.Status.SUCCESSFUL || failure == null)
                .or(() -> Optional.ofNullable(failure).map(TestExecutionResult::failed))
                .or(() -> run.guestEngineResult().filter(r -> r.getStatus() != TestExecutionResult.Status.SUCCESSFUL))
                .orElse(TestExecutionResult.successful());
        listener.executionFinished(cls, result);
    }

    private String brokenProtocol() {
        return run.violationCount() == 0
                ? ""
                : "; the guest broke the protocol " + run.violationCount() + " time(s), first: "
                        + run.violations().get(0);
    }

    private void registered(UniqueId id, Message.TestNode node) throws ProtocolViolation {
        if (run.isGuestEngine(id) || run.isClass(id)) {
            return;
        }
        if (run.descriptor(id).isPresent()) {
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
        if (node.type() == null || !TYPES.contains(node.type())) {
            throw new ProtocolViolation(id + " of an unknown type");
        }
        String displayName = node.displayName() == null || node.displayName().isBlank()
                ? id.getLastSegment().getValue()
                : ThrowableRebuilder.cap(node.displayName(), MAX_DISPLAY_NAME);
        String legacyName = node.legacyName() == null || node.legacyName().isBlank()
                ? displayName
                : ThrowableRebuilder.cap(node.legacyName(), MAX_DISPLAY_NAME);
        GuestTestDescriptor d = new GuestTestDescriptor(
                id, displayName, legacyName, TestDescriptor.Type.valueOf(node.type()), source(node), tags(node));
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
        String why = ThrowableRebuilder.cap(reason == null ? "" : reason, MAX_ENTRY_VALUE);
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

    private void finished(UniqueId id, String status, Message.ThrowableData throwable) throws ProtocolViolation {
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
        TestDescriptor d;
        if (run.isGuestEngine(id) || run.isClass(id)) {
            // output of @BeforeAll and friends belongs to the class
            if (run.classSkipped()) {
                throw new ProtocolViolation("a report for " + id + " in a skipped class");
            }
            ensureClassStarted();
            d = run.classDescriptor();
        } else {
            d = known(id);
        }
        if (entries == null || entries.isEmpty() || entries.size() > MAX_ENTRIES) {
            throw new ProtocolViolation("a report with no or too many entries for " + id);
        }
        Map<String, String> valid = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : entries.entrySet()) {
            if (e.getKey() == null
                    || e.getKey().isBlank()
                    || e.getKey().length() > MAX_ENTRY_KEY
                    || e.getValue() == null) {
                throw new ProtocolViolation("a report entry without a valid key or value for " + id);
            }
            valid.put(e.getKey(), ThrowableRebuilder.cap(e.getValue(), MAX_ENTRY_VALUE));
        }
        if (!withinOutputLimit(d, valid)) {
            return;
        }
        // Surefire and IDEs attribute output to the test running on the host now, which is this one
        if (valid.containsKey("stdout")) {
            out.print(valid.get("stdout"));
            out.flush();
        }
        if (valid.containsKey("stderr")) {
            err.print(valid.get("stderr"));
            err.flush();
        }
        listener.reportingEntryPublished(d, ReportEntry.from(valid));
    }

    /** Counts a test's output; past the limit, says so once and drops the rest. */
    private boolean withinOutputLimit(TestDescriptor d, Map<String, String> entries) {
        long size = entries.entrySet().stream()
                .filter(e -> e.getKey().equals("stdout") || e.getKey().equals("stderr"))
                .mapToLong(e -> e.getValue().length())
                .sum();
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

    private static TestExecutionResult result(String status, Message.ThrowableData throwable) throws ProtocolViolation {
        if (status == null) {
            throw new ProtocolViolation("a finish without a status");
        }
        switch (status) {
            case "SUCCESSFUL":
                return TestExecutionResult.successful();
            case "ABORTED":
                return TestExecutionResult.aborted(ThrowableRebuilder.rebuild(throwable, true));
            case "FAILED":
                return TestExecutionResult.failed(ThrowableRebuilder.rebuild(throwable, false));
            default:
                throw new ProtocolViolation("an unknown status '" + shorten(status) + "'");
        }
    }

    private static UniqueId hostId(String guestId) throws ProtocolViolation {
        try {
            return GuestIds.toHost(guestId);
        } catch (IllegalArgumentException e) {
            throw new ProtocolViolation("a bad unique id '" + shorten(guestId) + "' (" + e.getMessage() + ")");
        }
    }

    private static TestSource source(Message.TestNode node) throws ProtocolViolation {
        if (node.className() == null) {
            return null;
        }
        if (!CLASS_NAME.matcher(node.className()).matches()) {
            throw new ProtocolViolation("a bad class name '" + shorten(node.className()) + "'");
        }
        if (node.methodName() == null) {
            return ClassSource.from(node.className());
        }
        String parameterTypes = node.methodParameterTypes() == null ? "" : node.methodParameterTypes();
        if (!METHOD_NAME.matcher(node.methodName()).matches()
                || !PARAMETER_TYPES.matcher(parameterTypes).matches()) {
            throw new ProtocolViolation(
                    "a bad method '" + shorten(node.methodName()) + "(" + shorten(parameterTypes) + ")'");
        }
        return MethodSource.from(node.className(), node.methodName(), parameterTypes);
    }

    private static Set<TestTag> tags(Message.TestNode node) {
        Set<TestTag> tags = new LinkedHashSet<>();
        if (node.tags() != null) {
            node.tags().stream()
                    .limit(64)
                    .filter(TestTag::isValid)
                    .map(TestTag::create)
                    .forEach(tags::add);
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
