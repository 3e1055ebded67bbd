package dev.microvmsandbox.engine;

import java.util.LinkedHashSet;
import java.util.Set;
import org.junit.platform.engine.TestDescriptor;
import org.junit.platform.engine.TestTag;
import org.junit.platform.engine.UniqueId;
import org.junit.platform.engine.support.descriptor.AbstractTestDescriptor;

/**
 * A nested class or test method of a sandboxed class, known before the run from class file bytes
 * ({@link JupiterModel}), so post-discovery filters (Surefire's {@code -Dtest=Class#method},
 * groups, an IDE's method selection) can select it on the host. What the guest registers under it
 * (invocations, dynamic tests) arrives as {@link GuestTestDescriptor}s.
 */
final class StaticTestDescriptor extends AbstractTestDescriptor {

    private final JupiterModel.Node node;
    private final Set<String> dynamicDescendants = new LinkedHashSet<>();
    private boolean wholeSelected;

    StaticTestDescriptor(UniqueId parentId, JupiterModel.Node node) {
        super(parentId.append(node.segment()), node.displayName(), node.source());
        this.node = node;
    }

    JupiterModel.Node node() {
        return node;
    }

    @Override
    public Type getType() {
        return node.type();
    }

    /** Templates and factories register their invocations; a nested class, as Jupiter's, is pruned when empty. */
    @Override
    public boolean mayRegisterTests() {
        return node.isMethod() && node.type() != Type.TEST;
    }

    @Override
    public String getLegacyReportingName() {
        return node.legacyName();
    }

    /** Its own tags and its parents', as Jupiter's descriptors have them, so tag filters see the class's too. */
    @Override
    public Set<TestTag> getTags() {
        Set<TestTag> tags = new LinkedHashSet<>(node.ownTags());
        getParent().map(TestDescriptor::getTags).ifPresent(tags::addAll);
        return tags;
    }

    // Selection is built up during discovery only; execution reads it.

    /** Selected as a whole: every invocation or dynamic test under it runs. */
    void selectWhole() {
        wholeSelected = true;
    }

    /** Only this descendant of a template or factory runs (an IDE's rerun of one invocation), given as a guest id. */
    void selectDynamicDescendant(String guestId) {
        dynamicDescendants.add(guestId);
    }

    boolean isRestrictedToDescendants() {
        return !wholeSelected && !dynamicDescendants.isEmpty();
    }

    Set<String> dynamicDescendants() {
        return Set.copyOf(dynamicDescendants);
    }
}
