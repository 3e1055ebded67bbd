package dev.microvmsandbox.fork;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * The java command line a build tool gives its forked test JVM, read for the host files it names:
 * class path and module path entries ({@code -cp}, {@code --class-path}, {@code -p},
 * {@code --module-path}, {@code --patch-module}), the {@code -jar} and its manifest's
 * {@code Class-Path}, {@code -javaagent:} jars, {@code @argfiles} (read here, and themselves needed in
 * the guest) and, for Surefire's forked booter, the properties files its arguments name in its
 * temporary folder. Relative paths are resolved against the working folder, as the JVM would.
 */
final class ForkCommandLine {

    static final String FORKED_BOOTER = "org.apache.maven.surefire.booter.ForkedBooter";

    /** Launcher options whose value is the next argument; the first other non-option is the main class. */
    private static final Set<String> OPTIONS_WITH_VALUE = Set.of(
            "-cp",
            "-classpath",
            "--class-path",
            "-p",
            "--module-path",
            "--upgrade-module-path",
            "--add-modules",
            "--limit-modules",
            "--add-reads",
            "--add-exports",
            "--add-opens",
            "--patch-module",
            "--source",
            "--enable-native-access",
            "-m",
            "--module");

    private final List<String> arguments;
    private final Path workingDirectory;
    private final Set<Path> hostPaths = new LinkedHashSet<>();
    private final Map<String, String> systemProperties = new LinkedHashMap<>();
    private final List<String> classpathNames = new ArrayList<>();
    private String mainClass;
    private Path jar;
    private int applicationStart = -1;

    private ForkCommandLine(List<String> arguments, Path workingDirectory) {
        this.arguments = List.copyOf(arguments);
        this.workingDirectory = workingDirectory;
    }

    /**
     * @param arguments        everything after the java executable
     * @param workingDirectory where the JVM would start
     * @throws IllegalArgumentException when the command line cannot be read (an unreadable argument
     *                                  file, an option without its value)
     */
    static ForkCommandLine parse(List<String> arguments, Path workingDirectory) {
        ForkCommandLine c = new ForkCommandLine(arguments, workingDirectory);
        c.read();
        return c;
    }

    /** The arguments as given: the guest's JVM gets exactly these. */
    List<String> arguments() {
        return arguments;
    }

    /** Every host file and folder the command line needs, absolute and normalised, in the order named. */
    List<Path> hostPaths() {
        return List.copyOf(hostPaths);
    }

    /** {@code -Dname=value} options on the command line itself. */
    Map<String, String> systemProperties() {
        return systemProperties;
    }

    Optional<String> mainClass() {
        return Optional.ofNullable(mainClass);
    }

    Optional<Path> jar() {
        return Optional.ofNullable(jar);
    }

    /** The arguments after the main class (or jar), for the program itself. */
    List<String> applicationArguments() {
        return applicationStart < 0 ? List.of() : arguments.subList(applicationStart, arguments.size());
    }

    /** Index in {@link #arguments()} of the first program argument, or -1 when there is none. */
    int applicationStart() {
        return applicationStart;
    }

    boolean isSurefireBooter() {
        return FORKED_BOOTER.equals(mainClass);
    }

    /** The file names of the class path, for telling which version of a library runs. */
    List<String> classpathFileNames() {
        return classpathNames;
    }

    private void read() {
        for (int i = 0; i < arguments.size(); i++) {
            String a = arguments.get(i);
            if (a.startsWith("@") && a.length() > 1) {
                Path file = resolve(a.substring(1));
                hostPaths.add(file);
                // an argument file may end with the main class, which then ends the options
                if (readOptions(tokens(file), true)) {
                    applicationStart = i + 1;
                    return;
                }
                continue;
            }
            if (a.equals("-jar")) {
                if (i + 1 >= arguments.size()) {
                    throw new IllegalArgumentException("-jar without a jar file");
                }
                jar = resolve(arguments.get(i + 1));
                hostPaths.add(jar);
                readJarManifest(jar);
                applicationStart = i + 2;
                return;
            }
            if (OPTIONS_WITH_VALUE.contains(a)) {
                if (i + 1 >= arguments.size()) {
                    throw new IllegalArgumentException(a + " without its value");
                }
                option(a, arguments.get(++i));
                continue;
            }
            if (a.startsWith("-")) {
                option(a, null);
                continue;
            }
            mainClass = a;
            applicationStart = i + 1;
            return;
        }
    }

    /** @return whether the tokens ended with the main class */
    private boolean readOptions(List<String> tokens, boolean inArgumentFile) {
        for (int i = 0; i < tokens.size(); i++) {
            String t = tokens.get(i);
            if (OPTIONS_WITH_VALUE.contains(t) && i + 1 < tokens.size()) {
                option(t, tokens.get(++i));
            } else if (t.startsWith("-")) {
                option(t, null);
            } else if (inArgumentFile) {
                mainClass = t;
                return true;
            }
        }
        return false;
    }

    private void option(String name, String value) {
        int eq = name.indexOf('=');
        if (value == null && name.startsWith("--") && eq > 0) {
            value = name.substring(eq + 1);
            name = name.substring(0, eq);
        }
        switch (name) {
            case "-cp", "-classpath", "--class-path", "-p", "--module-path", "--upgrade-module-path" -> {
                if (value != null) {
                    pathList(value);
                }
            }
            case "--patch-module" -> {
                if (value != null && value.indexOf('=') > 0) {
                    pathList(value.substring(value.indexOf('=') + 1));
                }
            }
            default -> {
                if (name.startsWith("-javaagent:")) {
                    String spec = name.substring("-javaagent:".length());
                    int options = spec.indexOf('=');
                    hostPaths.add(resolve(options < 0 ? spec : spec.substring(0, options)));
                } else if (name.startsWith("-D") && name.length() > 2) {
                    int at = name.indexOf('=');
                    if (at < 0) {
                        systemProperties.put(name.substring(2), "");
                    } else {
                        systemProperties.put(name.substring(2, at), name.substring(at + 1));
                    }
                }
            }
        }
    }

    private void pathList(String value) {
        for (String entry : value.split(File.pathSeparator)) {
            if (!entry.isBlank()) {
                Path p = resolve(entry);
                hostPaths.add(p);
                classpathNames.add(
                        p.getFileName() == null ? "" : p.getFileName().toString());
            }
        }
    }

    /** Surefire's booter jar names the test class path in its manifest, relative to the jar. */
    private void readJarManifest(Path jarFile) {
        try (JarFile file = new JarFile(jarFile.toFile())) {
            Manifest manifest = file.getManifest();
            if (manifest == null) {
                return;
            }
            Attributes main = manifest.getMainAttributes();
            mainClass = main.getValue(Attributes.Name.MAIN_CLASS);
            String classPath = main.getValue(Attributes.Name.CLASS_PATH);
            if (classPath == null) {
                return;
            }
            URI base = jarFile.toUri();
            for (String url : classPath.trim().split("\\s+")) {
                if (url.isEmpty()) {
                    continue;
                }
                URI resolved = base.resolve(url);
                if (!"file".equals(resolved.getScheme())) {
                    throw new IllegalArgumentException(
                            "the manifest of " + jarFile + " names " + url + ", which is not a file");
                }
                Path entry = Path.of(resolved).normalize();
                hostPaths.add(entry);
                classpathNames.add(
                        entry.getFileName() == null ? "" : entry.getFileName().toString());
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the jar " + jarFile + ": " + e.getMessage(), e);
        }
    }

    private Path resolve(String path) {
        return workingDirectory.resolve(path).toAbsolutePath().normalize();
    }

    /**
     * The arguments of a JVM argument file: separated by white space; quotes ({@code "} or {@code '})
     * group, also inside an argument ({@code name="a b"}); in quotes a backslash escapes the next
     * character; {@code #} outside quotes comments out the rest of its line.
     */
    static List<String> tokens(String text) {
        List<String> tokens = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean inToken = false;
        char quote = 0;
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (quote != 0) {
                if (ch == quote) {
                    quote = 0;
                } else if (ch == '\\' && i + 1 < text.length()) {
                    char next = text.charAt(++i);
                    current.append(
                            switch (next) {
                                case 'n' -> '\n';
                                case 't' -> '\t';
                                case 'r' -> '\r';
                                case 'f' -> '\f';
                                default -> next;
                            });
                } else {
                    current.append(ch);
                }
            } else if (ch == '"' || ch == '\'') {
                quote = ch;
                inToken = true;
            } else if (Character.isWhitespace(ch)) {
                if (inToken) {
                    tokens.add(current.toString());
                    current.setLength(0);
                    inToken = false;
                }
            } else if (ch == '#' && !inToken) {
                while (i + 1 < text.length() && text.charAt(i + 1) != '\n') {
                    i++;
                }
            } else {
                current.append(ch);
                inToken = true;
            }
        }
        if (quote != 0) {
            throw new IllegalArgumentException("an argument file ends inside a quote");
        }
        if (inToken) {
            tokens.add(current.toString());
        }
        return tokens;
    }

    private static List<String> tokens(Path file) {
        try {
            return tokens(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the argument file " + file, e);
        }
    }
}
