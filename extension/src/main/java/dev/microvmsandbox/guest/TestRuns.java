package dev.microvmsandbox.guest;

import dev.microvmsandbox.channel.Channel;
import dev.microvmsandbox.channel.Message;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.EngineFilter;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/** Runs JUnit Platform tests in the guest and streams their events to the host. */
final class TestRuns {

    private final Channel channel;
    private final IdleHeap idleHeap = IdleHeap.forThisGuest();

    TestRuns(Channel channel) {
        this.channel = channel;
    }

    void start(Message.RunTests run) {
        Thread thread = new Thread(() -> execute(run), "test-run-" + run.id());
        thread.setDaemon(true);
        thread.start();
    }

    private void execute(Message.RunTests run) {
        String error = null;
        try {
            Launcher launcher = LauncherFactory.create();
            launcher.execute(request(run), new GuestTestListener(channel, run.id(), TestOutput.instance()));
        } catch (Throwable t) {
            error = "the guest's test run failed: " + t;
        }
        try {
            channel.send(new Message.RunDone(run.id(), error));
        } catch (IOException e) {
            // the host is gone: nobody is left to tell
        }
        idleHeap.release(Runtime.getRuntime().totalMemory());
    }

    static LauncherDiscoveryRequest request(Message.RunTests run) {
        List<DiscoverySelector> selectors = new ArrayList<>();
        nullSafe(run.classNames()).forEach(name -> selectors.add(DiscoverySelectors.selectClass(name)));
        nullSafe(run.methods()).forEach(name -> selectors.add(DiscoverySelectors.selectMethod(name)));
        nullSafe(run.uniqueIds()).forEach(id -> selectors.add(DiscoverySelectors.selectUniqueId(id)));
        Map<String, String> configuration = new HashMap<>(run.configuration() == null ? Map.of() : run.configuration());
        // TestOutput streams what tests print as they print it; JUnit's capture would hold it back
        configuration.put("junit.platform.output.capture.stdout", "false");
        configuration.put("junit.platform.output.capture.stderr", "false");
        // the host maps only Jupiter's tree; other engines would send nodes it has no place for
        return LauncherDiscoveryRequestBuilder.request()
                .selectors(selectors)
                .filters(EngineFilter.includeEngines("junit-jupiter"), EngineFilter.excludeEngines("microvm-sandbox"))
                .configurationParameters(configuration)
                .build();
    }

    private static List<String> nullSafe(List<String> list) {
        return list == null ? List.of() : list;
    }
}
