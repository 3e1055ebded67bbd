package dev.microvmsandbox.maven;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The executable Surefire and Failsafe take for their {@code jvm}: {@code FOLDER/bin/java}, a POSIX sh
 * script that runs the fork launcher on the Java that runs Maven with the plugin's own class path,
 * passing the settings file and every argument it gets. Beside it, {@code FOLDER/release} tells
 * Surefire which Java version the fork is (it reads a Java home's {@code release} file), copied from
 * that Java home.
 */
final class LauncherScript {

    static final String LAUNCHER_CLASS = "dev.microvmsandbox.fork.ForkLauncher";

    /** The launcher only relays streams and drives a VM: a small heap and a quick start do. */
    static final List<String> DEFAULT_JVM_OPTIONS =
            List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto");

    private LauncherScript() {}

    /**
     * Writes {@code folder/bin/java} and {@code folder/release}.
     *
     * @return the script
     */
    static Path write(Path folder, Path javaHome, List<File> classpath, List<String> jvmOptions, Path settings)
            throws IOException {
        Path bin = Files.createDirectories(folder.resolve("bin"));
        List<String> command = new ArrayList<>();
        command.add(javaHome.resolve("bin/java").toString());
        command.addAll(jvmOptions);
        // the launcher's own log, at warn, on its stderr; the guest never sees these options
        command.add("-Dorg.slf4j.simpleLogger.logFile=System.err");
        command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        command.add("-cp");
        command.add(classpath.stream().map(File::getAbsolutePath).collect(Collectors.joining(File.pathSeparator)));
        command.add(LAUNCHER_CLASS);
        command.add(settings.toString());
        String script = "#!/bin/sh\n"
                + "# Written by microvm-sandbox-maven-plugin:prepare. Surefire and Failsafe start this as their\n"
                + "# forked test JVM; the launcher runs that JVM, with these arguments, inside a microVM.\n"
                + "exec " + command.stream().map(LauncherScript::quoted).collect(Collectors.joining(" "))
                + " \"$@\"\n";
        Path executable = bin.resolve("java");
        Path tmp = Files.createTempFile(bin, "java", ".tmp");
        Files.writeString(tmp, script, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.move(tmp, executable, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Path release = javaHome.resolve("release");
        String releaseText = Files.isRegularFile(release)
                ? Files.readString(release, StandardCharsets.UTF_8)
                : "JAVA_VERSION=\"" + System.getProperty("java.version") + "\"\n";
        Files.writeString(folder.resolve("release"), releaseText, StandardCharsets.UTF_8);
        return executable;
    }

    /** A word for sh: single-quoted, a single quote inside written '\''. */
    static String quoted(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }
}
