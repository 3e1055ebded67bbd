package dev.microvmsandbox.engine;

import org.junit.platform.engine.EngineDiscoveryRequest;
import org.junit.platform.engine.UniqueId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the user, during discovery, what is wrong with a sandboxed class or what it cannot do:
 * as a {@code DiscoveryIssue} where the platform has them (JUnit Platform 1.13 and later, which
 * shows them in the launcher's log and to IDEs), as a log line before that. Either way the class
 * itself still fails (or runs) as it always did; an issue never fails the whole engine, which is
 * why none is reported as an error.
 */
interface ClassIssues {

    /** A wrong setting: the class will fail with this message. */
    void problem(String className, String message);

    /** Something the class runs without, worth knowing. */
    void note(String className, String message);

    static ClassIssues of(EngineDiscoveryRequest request, UniqueId engineId) {
        try {
            // looked up by name: a platform before 1.13 must never have to link PlatformClassIssues
            Class.forName("org.junit.platform.engine.DiscoveryIssue", false, ClassIssues.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            return new LoggedClassIssues();
        }
        return new PlatformClassIssues(request, engineId);
    }

    /** Before JUnit Platform 1.13: the engine's own log. */
    final class LoggedClassIssues implements ClassIssues {
        private static final Logger LOG = LoggerFactory.getLogger(ClassIssues.class);

        @Override
        public void problem(String className, String message) {
            LOG.warn("{}: {}", className, message);
        }

        @Override
        public void note(String className, String message) {
            LOG.info("{}: {}", className, message);
        }
    }
}
