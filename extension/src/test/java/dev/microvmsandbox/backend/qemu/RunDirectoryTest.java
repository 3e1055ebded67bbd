package dev.microvmsandbox.backend.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.microvmsandbox.WaitBounds;
import dev.microvmsandbox.backend.ProcessStart;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The start-up cleanup removes what dead JVMs left, and nothing of a JVM that still runs. */
class RunDirectoryTest {

    @TempDir
    Path base;

    private Process standIn;

    @AfterEach
    void stopStandIn() {
        if (standIn != null) {
            standIn.destroyForcibly();
        }
    }

    private static final ProcessHandle SELF = ProcessHandle.current();

    private Path runFolder(String name, String owner) throws IOException {
        Path dir = Files.createDirectory(base.resolve(name));
        if (owner != null) {
            Files.writeString(dir.resolve("owner"), owner);
        }
        return dir;
    }

    private static long seconds(ProcessHandle p) {
        return p.info().startInstant().orElseThrow().toEpochMilli() / 1000;
    }

    private static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor(WaitBounds.HOST_STEP.toMillis(), TimeUnit.MILLISECONDS);
        return p.pid();
    }

    /** A process whose command line names the folder, as qemu's does. */
    private Process standInQemu(Path dir) throws IOException {
        standIn = new ProcessBuilder("bash", "-c", "sleep 600; :", dir.toString()).start();
        Files.writeString(dir.resolve(RunDirectory.QEMU_PID), Long.toString(standIn.pid()));
        return standIn;
    }

    @Test
    void keepsTheFoldersAndVmsOfALiveOwner() throws IOException {
        long ticks = ProcessStart.ticks(SELF.pid()).orElseThrow();
        Path mine = runFolder("vm-" + SELF.pid() + "-1", SELF.pid() + " " + seconds(SELF) + " " + ticks);
        Process qemu = standInQemu(mine);
        Path olderFormat = runFolder("vm-" + SELF.pid() + "-2", SELF.pid() + " " + seconds(SELF));
        Path beingCreated = runFolder("vm-" + SELF.pid() + "-3", null);

        RunDirectory.cleanUpAfterDeadOwners(base);

        assertThat(mine).exists();
        assertThat(qemu.isAlive()).isTrue();
        assertThat(olderFormat).exists();
        assertThat(beingCreated)
                .as("no owner yet, but too young to be orphaned")
                .exists();
    }

    @Test
    void removesTheFoldersAndKillsTheVmsOfADeadOwner() throws Exception {
        long dead = deadPid();
        Path orphan = runFolder("vm-" + dead + "-1", dead + " 1700000000 12345");
        Process qemu = standInQemu(orphan);

        RunDirectory.cleanUpAfterDeadOwners(base);

        assertThat(orphan).doesNotExist();
        await().atMost(WaitBounds.HOST_STEP).until(() -> !qemu.isAlive());
    }

    @Test
    void aPidReusedByAnotherProcessIsNotTheOwner() throws IOException {
        long ticks = ProcessStart.ticks(SELF.pid()).orElseThrow();
        Path reused = runFolder("vm-" + SELF.pid() + "-1", SELF.pid() + " " + seconds(SELF) + " " + (ticks - 100));
        Path reusedOlderFormat = runFolder("vm-" + SELF.pid() + "-2", SELF.pid() + " " + (seconds(SELF) - 100));

        RunDirectory.cleanUpAfterDeadOwners(base);

        assertThat(reused).doesNotExist();
        assertThat(reusedOlderFormat).doesNotExist();
    }

    @Test
    void aClockStepBetweenTwoJvmsDoesNotMakeALiveOwnerLookDead() throws IOException {
        // seconds are derived from the boot time each JVM read at its start; the ticks are exact
        long ticks = ProcessStart.ticks(SELF.pid()).orElseThrow();
        Path mine = runFolder("vm-" + SELF.pid() + "-1", SELF.pid() + " " + (seconds(SELF) + 7) + " " + ticks);

        RunDirectory.cleanUpAfterDeadOwners(base);

        assertThat(mine).exists();
    }

    @Test
    void anOwnerlessFolderOlderThanAMinuteIsRemoved() throws IOException {
        Path stale = runFolder("vm-1-1", null);
        Files.setLastModifiedTime(
                stale, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 120_000));
        RunDirectory.cleanUpAfterDeadOwners(base);
        assertThat(stale).doesNotExist();
    }

    @Test
    void aNewRunFolderRecordsAnOwnerThatCountsAsAlive() throws IOException {
        try (RunDirectory dir = RunDirectory.create()) {
            String[] owner = Files.readString(dir.resolve("owner")).trim().split(" ");
            assertThat(owner).hasSize(3);
            assertThat(RunDirectory.ownerAlive(owner)).isTrue();
        }
    }
}
