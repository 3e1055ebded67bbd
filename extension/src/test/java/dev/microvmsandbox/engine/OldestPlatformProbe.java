package dev.microvmsandbox.engine;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import java.util.ArrayList;
import java.util.List;
import org.junit.platform.launcher.EngineFilter;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Runs the engine's discovery through the launcher; {@link OldestPlatformTest} loads it with the
 * oldest JUnit Platform we support instead of this build's, so it uses nothing newer than 1.10.
 */
public final class OldestPlatformProbe {

    private OldestPlatformProbe() {}

    /** The unique ids of the test plan, one per line, after selecting a class and a method of another. */
    public static List<String> discover(String wholeClass, String methodClass, String method) {
        TestPlan plan = LauncherFactory.create()
                .discover(LauncherDiscoveryRequestBuilder.request()
                        .selectors(selectClass(wholeClass), selectMethod(methodClass, method, ""))
                        .filters(EngineFilter.includeEngines(MicroVmSandboxEngine.ENGINE_ID))
                        .build());
        List<String> ids = new ArrayList<>();
        for (TestIdentifier root : plan.getRoots()) {
            plan.getDescendants(root).forEach(d -> ids.add(d.getUniqueId()));
        }
        return ids;
    }
}
