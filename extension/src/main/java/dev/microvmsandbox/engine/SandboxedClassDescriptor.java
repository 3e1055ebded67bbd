package dev.microvmsandbox.engine;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.platform.engine.TestDescriptor;
import org.junit.platform.engine.TestTag;
import org.junit.platform.engine.UniqueId;
import org.junit.platform.engine.support.descriptor.AbstractTestDescriptor;
import org.junit.platform.engine.support.descriptor.ClassSource;

/**
 * A test class that runs in a sandbox. Made from class file bytes: its source names the class
 * without loading it. Its nested classes and test methods are known before the run where
 * {@link JupiterModel} can model the class (as {@link StaticTestDescriptor}s, which filters select
 * from); what else the guest runs arrives during execution.
 */
final class SandboxedClassDescriptor extends AbstractTestDescriptor {

    static final String SEGMENT_TYPE = "class";

    private final String className;
    private final SandboxSettings settings;
    private final String settingsError;
    private final String classpathProblem;
    private final JupiterModel.ClassModel model;
    private final Set<TestTag> tags;
    private boolean wholeClass;
    private final Set<String> nestedClasses = new LinkedHashSet<>();
    private final Set<String> methods = new LinkedHashSet<>();
    private final Set<String> guestUniqueIds = new LinkedHashSet<>();

    SandboxedClassDescriptor(
            UniqueId engineId,
            String className,
            String displayName,
            Set<TestTag> tags,
            SandboxSettings settings,
            String settingsError,
            String classpathProblem,
            JupiterModel.ClassModel model) {
        super(engineId.append(SEGMENT_TYPE, className), displayName, ClassSource.from(className));
        this.className = className;
        this.settings = settings;
        this.settingsError = settingsError;
        this.classpathProblem = classpathProblem;
        this.model = model;
        this.tags = Set.copyOf(tags);
    }

    @Override
    public Type getType() {
        return Type.CONTAINER;
    }

    /** Modelled, it is pruned as Jupiter's class is when filters leave none of its tests. */
    @Override
    public boolean mayRegisterTests() {
        return !isModelled();
    }

    @Override
    public String getLegacyReportingName() {
        return className;
    }

    @Override
    public Set<TestTag> getTags() {
        return tags;
    }

    String className() {
        return className;
    }

    /** Empty when {@link #settingsError()} says what is wrong with the class's configuration. */
    Optional<SandboxSettings> settings() {
        return Optional.ofNullable(settings);
    }

    Optional<String> settingsError() {
        return Optional.ofNullable(settingsError);
    }

    /** Why the guest cannot run Jupiter with the host's classpath, if it cannot. */
    Optional<String> classpathProblem() {
        return Optional.ofNullable(classpathProblem);
    }

    /** Whether its tests are known before the run (else the guest reports all it has, and filters see the class only). */
    boolean isModelled() {
        return model != null && !model.children().isEmpty();
    }

    Optional<JupiterModel.ClassModel> model() {
        return Optional.ofNullable(model);
    }

    // Selection is built up during discovery only; execution reads it.

    void selectWholeClass() {
        wholeClass = true;
    }

    void selectNestedClass(String name) {
        nestedClasses.add(name);
    }

    void selectMethod(String fullyQualifiedMethodName) {
        methods.add(fullyQualifiedMethodName);
    }

    void selectGuestUniqueId(String guestId) {
        guestUniqueIds.add(guestId);
    }

    /**
     * What the guest runs. Modelled: the whole class when every test of its model is still here
     * (no filter removed one), else exactly the tests left (by unique id). Unmodelled: what the
     * selectors named.
     */
    GuestSelection guestSelection() {
        if (!isModelled()) {
            return wholeClass
                    ? new GuestSelection(List.of(className), List.of(), List.of())
                    : new GuestSelection(
                            new ArrayList<>(nestedClasses), new ArrayList<>(methods), new ArrayList<>(guestUniqueIds));
        }
        List<StaticTestDescriptor> left = new ArrayList<>();
        collectStatic(this, left);
        boolean intact =
                left.size() == model.size() && left.stream().noneMatch(StaticTestDescriptor::isRestrictedToDescendants);
        if (intact) {
            return new GuestSelection(List.of(className), List.of(), List.of());
        }
        List<String> ids = new ArrayList<>();
        for (StaticTestDescriptor d : left) {
            if (d.node().isMethod()) {
                if (d.isRestrictedToDescendants()) {
                    ids.addAll(d.dynamicDescendants());
                } else {
                    ids.add(GuestIds.toGuest(d.getUniqueId()));
                }
            }
        }
        return new GuestSelection(List.of(), List.of(), ids);
    }

    private static void collectStatic(TestDescriptor parent, List<StaticTestDescriptor> into) {
        for (TestDescriptor child : parent.getChildren()) {
            if (child instanceof StaticTestDescriptor d) {
                into.add(d);
                collectStatic(d, into);
            }
        }
    }

    /** The guest launcher's selectors: class names, {@code Class#method(types)} names, Jupiter unique ids. */
    record GuestSelection(List<String> classNames, List<String> methods, List<String> uniqueIds) {
        boolean isEmpty() {
            return classNames.isEmpty() && methods.isEmpty() && uniqueIds.isEmpty();
        }
    }
}
