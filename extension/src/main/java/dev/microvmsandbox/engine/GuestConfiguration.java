package dev.microvmsandbox.engine;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import org.junit.platform.engine.ConfigurationParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JUnit configuration parameters the guest's launcher gets, so Jupiter runs there as the
 * build configured it here: the launcher's own parameters (Surefire's {@code configurationParameters},
 * an IDE's, {@code junit-platform.properties}) and the system properties JUnit reads
 * ({@code junit.*}, as {@code -Djunit.jupiter.execution.parallel.enabled=true} sets them).
 *
 * <p>{@link ConfigurationParameters#keySet()} also holds every other system property of the host
 * JVM (paths, user name, whatever the build passed on): those stay here. So do this engine's own
 * {@code microvm.sandbox.*} parameters, which mean nothing in the guest.
 */
final class GuestConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(GuestConfiguration.class);
    /** Well under the channel's 256 KiB per message, leaving room for the class's selection. */
    static final int MAX_CHARACTERS = 64 * 1024;

    private GuestConfiguration() {}

    static Map<String, String> from(ConfigurationParameters parameters) {
        return from(parameters.keySet(), parameters::get, System::getProperty);
    }

    /**
     * @param systemProperty the host JVM's system properties, to tell their keys from the launcher's own
     */
    static Map<String, String> from(
            Set<String> keys, Function<String, Optional<String>> parameters, Function<String, String> systemProperty) {
        Map<String, String> forwarded = new TreeMap<>();
        int characters = 0;
        for (String key : new TreeSet<>(keys)) {
            if (key.startsWith(SandboxSettings.PREFIX)) {
                continue;
            }
            String value = parameters.apply(key).orElse(null);
            if (value == null || isOnlyAHostSystemProperty(key, value, systemProperty)) {
                continue;
            }
            characters += key.length() + value.length();
            if (characters > MAX_CHARACTERS) {
                LOG.warn(
                        "configuration parameters beyond {} characters do not reach the guest; the first left out is {}",
                        MAX_CHARACTERS,
                        key);
                break;
            }
            forwarded.put(key, value);
        }
        return forwarded;
    }

    private static boolean isOnlyAHostSystemProperty(
            String key, String value, Function<String, String> systemProperty) {
        return !key.startsWith("junit.") && value.equals(systemProperty.apply(key));
    }
}
