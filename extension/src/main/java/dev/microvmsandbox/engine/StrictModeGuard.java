package dev.microvmsandbox.engine;

import java.util.Locale;
import java.util.Optional;
import org.apiguardian.api.API;
import org.junit.platform.launcher.LauncherDiscoveryListener;
import org.junit.platform.launcher.LauncherDiscoveryRequest;

/**
 * Stops a test JVM on the host that was told {@code microvm.sandbox.mode=strict}: in the strict setup
 * the whole forked test JVM runs in a sandbox, so a host JVM that sees strict mode is one whose fork
 * the sandbox did not get (the Maven plugin missing, or a {@code jvm} setting overriding it). The
 * platform runs this listener, found through {@code META-INF/services} (JUnit Platform 1.10 and later),
 * before any engine discovers anything, with the run's merged configuration parameters (system
 * properties, {@code junit-platform.properties}, Surefire's {@code configurationParameters}). Inert in
 * the guest ({@code microvm.sandbox.guest=true}).
 */
@API(status = API.Status.INTERNAL)
public final class StrictModeGuard implements LauncherDiscoveryListener {

    /** The listener the launcher finds through the service loader. */
    public StrictModeGuard() {}

    @Override
    public void launcherDiscoveryStarted(LauncherDiscoveryRequest request) {
        check(request.getConfigurationParameters()::get);
    }

    /**
     * @throws StrictModeOnTheHost when strict mode is asked for outside a sandbox
     */
    static void check(java.util.function.Function<String, Optional<String>> parameters) {
        if (MicroVmSandboxEngine.isGuest()) {
            return;
        }
        Optional<String> mode = parameters.apply(SandboxSettings.MODE);
        if (mode.isPresent() && mode.get().trim().toLowerCase(Locale.ROOT).equals("strict")) {
            throw new StrictModeOnTheHost();
        }
    }

    /** The run asked for strict mode but its test JVM is on the host; the message says what is missing. */
    static final class StrictModeOnTheHost extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        StrictModeOnTheHost() {
            super("microvm.sandbox.mode=strict, but this test JVM runs on the host, outside any sandbox: it stops "
                    + "before discovering a test class. The strict setup runs the whole forked test JVM in a microVM. "
                    + "Missing: the microvm-sandbox-maven-plugin's prepare goal in the pom (see the README's strict "
                    + "setup), which makes Surefire and Failsafe fork into a sandbox; or a <jvm> setting of Surefire or "
                    + "Failsafe (or -Djvm=...) overrides the launcher it installs; or forkCount=0 runs the tests in "
                    + "Maven's own JVM, which cannot be sandboxed.");
        }
    }
}
