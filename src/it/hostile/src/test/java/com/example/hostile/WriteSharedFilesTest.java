package com.example.hostile;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.microvmsandbox.MicroVmSandbox;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Tries to write into what the host shares: the files of the test class path, which the guest sees
 * at their host paths through a read-only share, the share itself and the agent's class path copy
 * (also after remounting them read-write as root), and the local Maven repository's copy of the
 * library. Every shared file must refuse; new files in the folders on the way land on the guest's own
 * disk. verify.groovy checks that the host's target/test-classes and the local repository's jar kept
 * their hashes and that nothing was planted there.
 */
@MicroVmSandbox(memory = "1g", timeout = "5m")
class WriteSharedFilesTest {

    private static final byte[] PAYLOAD = "planted by a hostile test\n".getBytes();
    private static final String PLANTED = "planted-by-hostile-test.txt";

    @Test
    void classpathIsReadOnly() throws Exception {
        List<String> succeeded = new ArrayList<>();
        List<Path> targets = new ArrayList<>();
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        for (String entry : classPath.split(File.pathSeparator)) {
            targets.add(Path.of(entry));
        }
        targets.add(Path.of("/run/msb/host"));
        targets.add(Path.of("/run/msb/cp"));
        Host.report("classpath " + targets);
        for (Path t : targets) {
            attack(t, succeeded);
        }
        // as root in the guest: remount the shares read-write and try again
        Host.report("remount "
                + Host.sh(
                        "mount -o remount,rw /run/msb/host; mount -o remount,rw /run/msb/cp; mount | grep /run/msb",
                        30));
        for (Path t : targets) {
            attack(t, succeeded);
        }
        Host.report("classpath-writes-that-succeeded " + succeeded);
        assertTrue(succeeded.isEmpty(), "wrote into the shared classpath: " + succeeded);
    }

    @Test
    void localRepositoryIsNotTheHosts() throws Exception {
        // the host path of the library's jar in the local repository, and where a guest would look
        List<Path> jars = List.of(
                Path.of(Host.get("local.repo.jar")),
                Path.of(
                        System.getProperty("user.home"),
                        ".m2",
                        "repository",
                        "dev",
                        "microvmsandbox",
                        "microvm-sandbox-junit",
                        "0.1.0-SNAPSHOT",
                        "microvm-sandbox-junit-0.1.0-SNAPSHOT.jar"));
        for (Path jar : jars) {
            String outcome;
            try {
                Files.createDirectories(jar.getParent());
                Files.write(jar, PAYLOAD, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                outcome = "written in the guest's own disk";
            } catch (IOException | RuntimeException e) {
                outcome = "refused: " + e;
            }
            Host.report("local-repo-write " + jar + " " + outcome);
        }
        // the host's test-classes folder, by its host path
        Path hostClasses = Path.of(Host.get("host.test.classes"), "com", "example", "hostile", "NormalTest.class");
        try {
            Files.createDirectories(hostClasses.getParent());
            Files.write(hostClasses, PAYLOAD, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            Host.report("host-test-classes-write " + hostClasses + " written in the guest's own disk");
        } catch (IOException | RuntimeException e) {
            Host.report("host-test-classes-write " + hostClasses + " refused: " + e);
        }
    }

    /** Writes into the shared files the target holds; a new file beside them is reported, not counted. */
    private static void attack(Path target, List<String> succeeded) {
        List<Path> files = new ArrayList<>();
        if (Files.isDirectory(target)) {
            try (Stream<Path> walk = Files.walk(target, 6)) {
                // a file planted by the first pass is the guest's own: writing to it again proves nothing
                walk.filter(Files::isRegularFile)
                        .filter(p -> !p.getFileName().toString().equals(PLANTED))
                        .limit(20)
                        .forEach(files::add);
            } catch (IOException | RuntimeException e) {
                // ignore
            }
            Path planted = target.resolve(PLANTED);
            try {
                Files.write(planted, PAYLOAD, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                Host.report("planted " + planted + " (in the guest's own copy of the folder)");
            } catch (IOException | RuntimeException e) {
                Host.report("planting " + planted + " refused: " + e.getMessage());
            }
        } else {
            files.add(target);
        }
        for (Path f : files) {
            tryWrite(f, succeeded);
        }
    }

    private static void tryWrite(Path f, List<String> succeeded) {
        try {
            Files.write(f, PAYLOAD, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            succeeded.add(f.toString());
        } catch (IOException | RuntimeException e) {
            // refused, as it should be
        }
    }
}
