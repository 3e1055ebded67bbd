package dev.microvmsandbox.backend.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.microvmsandbox.WaitBounds;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The key lock against a second JVM holding it (a real process, so real POSIX locks): a held lock
 * file is never deleted, an idle one is, and a waiter whose file is deleted under it locks the new
 * one instead of a file no one else can find.
 */
class KeyLockTest {

    @TempDir
    Path dir;

    @Test
    void runsTheWorkUnderTheLockAndReturnsItsResult() throws IOException {
        Path file = dir.resolve("k" + KeyLock.SUFFIX);

        String result = KeyLock.holding(file, () -> {
            assertThat(file).exists();
            return "done";
        });

        assertThat(result).isEqualTo("done");
    }

    @Test
    void deletesAnIdleLockFileOnlyWhenItsThingIsGone() throws IOException {
        Files.createDirectories(dir.resolve("present"));
        KeyLock.holding(dir.resolve("present" + KeyLock.SUFFIX), () -> null);
        KeyLock.holding(dir.resolve("gone" + KeyLock.SUFFIX), () -> null);
        Files.writeString(dir.resolve("other.txt"), "not a lock");

        KeyLock.deleteOrphans(dir, dir::resolve);

        assertThat(dir.resolve("gone" + KeyLock.SUFFIX)).doesNotExist();
        assertThat(dir.resolve("present" + KeyLock.SUFFIX)).exists();
        assertThat(dir.resolve("other.txt")).exists();
    }

    @Test
    void leavesALockFileHeldInThisJvm() throws IOException {
        Path file = dir.resolve("k" + KeyLock.SUFFIX);

        KeyLock.holding(file, () -> {
            KeyLock.deleteIfIdle(file);
            assertThat(file).exists();
            return null;
        });
    }

    @Test
    void leavesALockFileHeldByAnotherJvmAndDeletesItOnceReleased() throws Exception {
        Path file = dir.resolve("k" + KeyLock.SUFFIX);
        try (Holder holder = Holder.start(file)) {
            KeyLock.deleteIfIdle(file);
            assertThat(file).as("held by the other JVM").exists();
            holder.command("release");
        }
        KeyLock.deleteIfIdle(file);
        assertThat(file).doesNotExist();
    }

    @ParameterizedTest
    @ValueSource(strings = {"delete", "replace"})
    void aWaiterWhoseFileWasDeletedLocksTheOneAtThePath(String change) throws Exception {
        Path file = dir.resolve("k" + KeyLock.SUFFIX);
        try (Holder holder = Holder.start(file)) {
            CompletableFuture<String> waiter = CompletableFuture.supplyAsync(() -> {
                try {
                    return KeyLock.holding(file, () -> Files.readString(file));
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            awaitBlockedLock(holder.pid());
            holder.command(change);
            holder.command("release");

            String seen = waiter.get(WaitBounds.HOST_STEP.toMillis(), TimeUnit.MILLISECONDS);
            // the waiter's own mark is in the file at the path: it held that file, not the deleted one
            assertThat(seen).hasSize(32);
            assertThat(file).exists();
        }
    }

    /** Waits until /proc/locks shows a waiter blocked on a lock that {@code holderPid} holds. */
    private static void awaitBlockedLock(long holderPid) throws Exception {
        long end = System.nanoTime() + WaitBounds.HOST_STEP.toNanos();
        while (System.nanoTime() < end) {
            List<String> locks = Files.readAllLines(Path.of("/proc/locks"));
            for (int i = 0; i < locks.size(); i++) {
                String[] held = locks.get(i).trim().split("\\s+");
                boolean ours = held.length > 4 && held[1].equals("POSIX") && held[4].equals(Long.toString(holderPid));
                if (ours && i + 1 < locks.size() && locks.get(i + 1).contains("->")) {
                    return;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no waiter blocked on the other JVM's lock within " + WaitBounds.HOST_STEP);
    }

    /**
     * A second JVM holding the lock until told to delete the file, to replace it (delete it and
     * create a new one, as a third JVM's open would) or to release it.
     */
    private record Holder(Process process, Writer commands, BufferedReader answers) implements AutoCloseable {

        static Holder start(Path file) throws IOException {
            Process p = new ProcessBuilder(
                            Path.of(System.getProperty("java.home"), "bin", "java")
                                    .toString(),
                            "-cp",
                            System.getProperty("java.class.path"),
                            HolderMain.class.getName(),
                            file.toString())
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            Holder h = new Holder(
                    p,
                    new java.io.OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8),
                    new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)));
            h.expect("held");
            return h;
        }

        long pid() {
            return process.pid();
        }

        void command(String c) throws IOException {
            commands.write(c + "\n");
            commands.flush();
            expect(c.equals("release") ? "released" : c.replaceAll("e$", "") + "ed");
        }

        private void expect(String answer) throws IOException {
            assertThat(answers.readLine()).as("the holder's answer").isEqualTo(answer);
        }

        @Override
        public void close() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor(WaitBounds.HOST_STEP.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** The holding JVM: takes the lock, then obeys "delete", "replace" and "release" from its input. */
    static final class HolderMain {
        public static void main(String[] args) throws IOException {
            Path file = Path.of(args[0]);
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            KeyLock.holding(file, () -> {
                System.out.println("held");
                for (String line; (line = in.readLine()) != null; ) {
                    if (line.equals("delete") || line.equals("replace")) {
                        Files.delete(file);
                        if (line.equals("replace")) {
                            Files.createFile(file);
                        }
                        System.out.println(line.replaceAll("e$", "") + "ed");
                    } else if (line.equals("release")) {
                        break;
                    }
                }
                return null;
            });
            System.out.println("released");
        }
    }
}
