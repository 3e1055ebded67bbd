package dev.microvmsandbox.engine;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.platform.engine.TestDescriptor;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.UniqueId;

/** The state of one sandboxed class's run on the host: what the guest registered, started and finished. */
final class GuestRun {

    static final int MAX_NODES = 100_000;
    private static final int MAX_VIOLATIONS_KEPT = 100;

    private final SandboxedClassDescriptor classDescriptor;
    private final UniqueId guestEngineAlias;
    private final Map<UniqueId, TestDescriptor> descriptors = new HashMap<>();
    private final Set<TestDescriptor> open = new LinkedHashSet<>();
    private final Set<TestDescriptor> done = new HashSet<>();
    private final Set<TestDescriptor> confirmed = new HashSet<>();
    private final List<String> violations = new ArrayList<>();
    private int violationCount;
    private boolean classStarted;
    private boolean classSkipped;
    private TestExecutionResult guestClassResult;
    private TestExecutionResult guestEngineResult;
    private Throwable failure;

    GuestRun(SandboxedClassDescriptor classDescriptor) {
        this.classDescriptor = classDescriptor;
        this.guestEngineAlias =
                UniqueId.forEngine(classDescriptor.getUniqueId().getEngineId().orElseThrow());
        descriptors.put(classDescriptor.getUniqueId(), classDescriptor);
        // what discovery knew and the filters left: the guest registers these again, under the same ids
        classDescriptor.accept(d -> descriptors.put(d.getUniqueId(), d));
    }

    SandboxedClassDescriptor classDescriptor() {
        return classDescriptor;
    }

    boolean isClass(UniqueId id) {
        return id.equals(classDescriptor.getUniqueId());
    }

    /** The guest's engine node maps onto the host engine; it is never registered twice. */
    boolean isGuestEngine(UniqueId id) {
        return id.equals(guestEngineAlias);
    }

    Optional<TestDescriptor> descriptor(UniqueId id) {
        return Optional.ofNullable(descriptors.get(id));
    }

    boolean isFull() {
        return descriptors.size() >= MAX_NODES;
    }

    void registered(TestDescriptor d) {
        descriptors.put(d.getUniqueId(), d);
    }

    /**
     * The guest registered a node discovery already knew; {@code false} when it did so before, or
     * when the node is one the guest made during this run.
     */
    boolean confirm(TestDescriptor d) {
        return d instanceof StaticTestDescriptor && confirmed.add(d);
    }

    boolean isOpen(TestDescriptor d) {
        return open.contains(d);
    }

    boolean isDone(TestDescriptor d) {
        return done.contains(d);
    }

    void started(TestDescriptor d) {
        open.add(d);
    }

    void ended(TestDescriptor d) {
        open.remove(d);
        done.add(d);
    }

    /** Open descendants of {@code d}, the latest started first, so children end before their parents. */
    List<TestDescriptor> openDescendants(TestDescriptor d) {
        List<TestDescriptor> result = new ArrayList<>();
        for (TestDescriptor o : open) {
            if (o != d && o.getUniqueId().hasPrefix(d.getUniqueId())) {
                result.add(o);
            }
        }
        Collections.reverse(result);
        return result;
    }

    boolean classStarted() {
        return classStarted;
    }

    void classStarted(boolean started) {
        classStarted = started;
    }

    boolean classSkipped() {
        return classSkipped;
    }

    void classSkipped(boolean skipped) {
        classSkipped = skipped;
    }

    Optional<TestExecutionResult> guestClassResult() {
        return Optional.ofNullable(guestClassResult);
    }

    void guestClassResult(TestExecutionResult result) {
        guestClassResult = result;
    }

    Optional<TestExecutionResult> guestEngineResult() {
        return Optional.ofNullable(guestEngineResult);
    }

    void guestEngineResult(TestExecutionResult result) {
        guestEngineResult = result;
    }

    /** Why the run ended abnormally (sandbox died, timeout, guest error), if it did. */
    Optional<Throwable> failure() {
        return Optional.ofNullable(failure);
    }

    void failure(Throwable t) {
        if (failure == null) {
            failure = t;
        }
    }

    void violation(String what) {
        violationCount++;
        if (violations.size() < MAX_VIOLATIONS_KEPT) {
            violations.add(what);
        }
    }

    List<String> violations() {
        return List.copyOf(violations);
    }

    int violationCount() {
        return violationCount;
    }
}
