package dev.microvmsandbox.backend.kata;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.ArrayList;
import java.util.List;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.EngineFilter;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * A test run of its own, started inside a QEMU guest by {@code RecipeProofIT}: the engine runs the
 * classes named as arguments with the backend the system properties name. Every test's result is
 * printed as {@code RESULT <status> <display name> <message>}, and every event as {@code EVENT
 * <line>} of a {@link Transcript}. Exits 0 when tests ran: which of them must pass is the caller's
 * to check, since some classes fail on purpose.
 */
public final class NestedRun {

    public static final String EVENT = "EVENT ";

    private NestedRun() {}

    public static void main(String[] classes) {
        LauncherDiscoveryRequestBuilder request =
                LauncherDiscoveryRequestBuilder.request().filters(EngineFilter.includeEngines("microvm-sandbox"));
        for (String c : classes) {
            request.selectors(selectClass(c));
        }
        LauncherDiscoveryRequest discovery = request.build();
        List<String> failures = new ArrayList<>();
        int[] tests = {0};
        Transcript transcript = new Transcript();
        LauncherFactory.create().execute(discovery, transcript, new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (id.isTest()) {
                    tests[0]++;
                }
                if (id.isTest() || result.getStatus() != TestExecutionResult.Status.SUCCESSFUL) {
                    String message = result.getThrowable()
                            .map(t -> t.toString().lines().findFirst().orElse(""))
                            .orElse("");
                    System.out.println("RESULT " + result.getStatus() + " " + id.getDisplayName() + " " + message);
                    if (result.getStatus() != TestExecutionResult.Status.SUCCESSFUL) {
                        failures.add(id.getDisplayName());
                        result.getThrowable().ifPresent(t -> t.printStackTrace(System.out));
                    }
                }
            }
        });
        transcript.lines().forEach(l -> System.out.println(EVENT + l));
        System.out.println("NESTED-RUN tests=" + tests[0] + " failed=" + failures.size());
        System.out.flush();
        System.exit(tests[0] > 0 ? 0 : 1);
    }
}
