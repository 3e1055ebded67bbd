package dev.microvmsandbox.engine;

import org.junit.platform.engine.DiscoveryIssue;
import org.junit.platform.engine.EngineDiscoveryRequest;
import org.junit.platform.engine.UniqueId;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.engine.support.discovery.DiscoveryIssueReporter;

/**
 * {@link ClassIssues} as JUnit Platform 1.13+ {@code DiscoveryIssue}s. The only class that names
 * the issue types: it is loaded only where they exist.
 */
final class PlatformClassIssues implements ClassIssues {

    private final DiscoveryIssueReporter reporter;

    PlatformClassIssues(EngineDiscoveryRequest request, UniqueId engineId) {
        this.reporter = DiscoveryIssueReporter.forwarding(request.getDiscoveryListener(), engineId);
    }

    @Override
    public void problem(String className, String message) {
        report(DiscoveryIssue.Severity.WARNING, className, message);
    }

    @Override
    public void note(String className, String message) {
        report(DiscoveryIssue.Severity.INFO, className, message);
    }

    private void report(DiscoveryIssue.Severity severity, String className, String message) {
        reporter.reportIssue(DiscoveryIssue.builder(severity, message).source(ClassSource.from(className)));
    }
}
