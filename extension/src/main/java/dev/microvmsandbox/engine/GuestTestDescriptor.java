package dev.microvmsandbox.engine;

import java.util.Set;
import org.junit.platform.engine.TestSource;
import org.junit.platform.engine.TestTag;
import org.junit.platform.engine.UniqueId;
import org.junit.platform.engine.support.descriptor.AbstractTestDescriptor;

/** The host's mirror of one descriptor the guest registered: a nested class, a method, an invocation. */
final class GuestTestDescriptor extends AbstractTestDescriptor {

    private final Type type;
    private final String legacyReportingName;
    private final Set<TestTag> tags;

    GuestTestDescriptor(
            UniqueId uniqueId,
            String displayName,
            String legacyReportingName,
            Type type,
            TestSource source,
            Set<TestTag> tags) {
        super(uniqueId, displayName, source);
        this.type = type;
        this.legacyReportingName = legacyReportingName;
        this.tags = Set.copyOf(tags);
    }

    @Override
    public Type getType() {
        return type;
    }

    @Override
    public boolean mayRegisterTests() {
        return type != Type.TEST;
    }

    @Override
    public String getLegacyReportingName() {
        return legacyReportingName;
    }

    @Override
    public Set<TestTag> getTags() {
        return tags;
    }
}
