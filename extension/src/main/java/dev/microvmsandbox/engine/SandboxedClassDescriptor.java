package dev.microvmsandbox.engine;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.platform.engine.TestTag;
import org.junit.platform.engine.UniqueId;
import org.junit.platform.engine.support.descriptor.AbstractTestDescriptor;
import org.junit.platform.engine.support.descriptor.ClassSource;

/**
 * A test class that runs in a sandbox. Made from class file bytes: its source names the class
 * without loading it. Its children arrive during execution, from the guest.
 */
final class SandboxedClassDescriptor extends AbstractTestDescriptor {

    static final String SEGMENT_TYPE = "class";

    private final String className;
    private final SandboxSettings settings;
    private final String settingsError;
    private final Set<TestTag> tags;
    private boolean wholeClass;
    private final Set<String> nestedClasses = new LinkedHashSet<>();
    private final Set<String> methods = new LinkedHashSet<>();
    private final Set<String> guestUniqueIds = new LinkedHashSet<>();

    SandboxedClassDescriptor(
            UniqueId engineId,
            String className,
            String displayName,
            List<String> tags,
            SandboxSettings settings,
            String settingsError) {
        super(engineId.append(SEGMENT_TYPE, className), displayName, ClassSource.from(className));
        this.className = className;
        this.settings = settings;
        this.settingsError = settingsError;
        Set<TestTag> valid = new LinkedHashSet<>();
        tags.stream().filter(TestTag::isValid).map(TestTag::create).forEach(valid::add);
        this.tags = Set.copyOf(valid);
    }

    @Override
    public Type getType() {
        return Type.CONTAINER;
    }

    @Override
    public boolean mayRegisterTests() {
        return true;
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

    /** Class names for the guest's class selectors. */
    List<String> guestClassNames() {
        return wholeClass ? List.of(className) : new ArrayList<>(nestedClasses);
    }

    List<String> guestMethods() {
        return wholeClass ? List.of() : new ArrayList<>(methods);
    }

    List<String> guestUniqueIds() {
        return wholeClass ? List.of() : new ArrayList<>(guestUniqueIds);
    }
}
