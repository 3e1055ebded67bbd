package dev.microvmsandbox.backend.qemu;

import dev.microvmsandbox.backend.Command;
import dev.microvmsandbox.backend.CommandResult;
import dev.microvmsandbox.backend.Mount;
import dev.microvmsandbox.backend.Sandbox;
import dev.microvmsandbox.backend.SandboxConfig;
import dev.microvmsandbox.backend.SandboxException;
import dev.microvmsandbox.backend.TimeLimit;
import dev.microvmsandbox.channel.Channel;
import dev.microvmsandbox.channel.Message;
import dev.microvmsandbox.guestimage.GuestImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One QEMU microVM and the guest agent in it: booted, restored from a template, or booted only
 * to be saved as one ({@link #saveTemplate}, never handed out as a sandbox).
 */
final class QemuVm implements Sandbox {

    private static final Logger LOG = LoggerFactory.getLogger(QemuVm.class);
    private static final AtomicInteger NAMES = new AtomicInteger();
    private static final ScheduledExecutorService TIMERS =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "microvm-sandbox-timer");
                t.setDaemon(true);
                return t;
            });
    private static final int CONSOLE_LINES = 40;
    /**
     * How long qemu may take to exit once it has to (the host killed it, or its channel ended):
     * the kernel reaps a killed process at once, so only a host in trouble needs more, and no
     * verdict depends on it.
     */
    static final Duration EXIT_GRACE = Duration.ofSeconds(30);
    /** A restore that takes longer than this is given up (and the template with it) for a boot. */
    static final Duration RESTORE_TIMEOUT = Duration.ofSeconds(60);
    /** How long saving a template's device state may take; its memory is not copied. */
    static final Duration SAVE_TIMEOUT = Duration.ofMinutes(2);
    /** The guest agent's console line (see {@code GuestAgent}) once a frozen session's host has gone. */
    static final String FROZEN_LINE = "MSB-FROZEN";

    private static final SecureRandom ENTROPY = new SecureRandom();

    private final String id = "vm" + NAMES.incrementAndGet();
    private final SandboxConfig config;
    private final AcceleratorProbe.Choice accel;
    private final RunDirectory runDir;
    private final ConsoleLog console;
    private final StopCause stop = new StopCause();
    private final CompletableFuture<Message.Hello> hello = new CompletableFuture<>();
    private final CompletableFuture<Message.Ready> ready = new CompletableFuture<>();
    private final CompletableFuture<Message.Frozen> frozen = new CompletableFuture<>();
    /** The frozen agent's console line that it saw the host go (only a template's guest prints it). */
    private final CompletableFuture<Void> hostGoneSeen = new CompletableFuture<>();

    private final BootTimeline timeline = new BootTimeline();
    private volatile Process process;
    private volatile Channel channel;
    private volatile ScheduledFuture<?> timeout;
    private volatile Duration waitBound = Duration.ZERO;

    private QemuVm(SandboxConfig config, AcceleratorProbe.Choice accel, RunDirectory runDir) {
        this.config = config;
        this.accel = accel;
        this.runDir = runDir;
        this.console = new ConsoleLog(runDir.resolve("console.log"));
    }

    /**
     * What a VM is made of besides its configuration: the qemu binary, the guest image, the
     * accelerator, the agent disk and, for sandboxes that start with images, their image store.
     */
    record Machine(
            String qemu,
            GuestImage image,
            AcceleratorProbe.Choice accel,
            AgentDisk agentDisk,
            Optional<ImageStore> store) {

        Machine withAccelerator(AcceleratorProbe.Choice other) {
            return new Machine(qemu, image, other, agentDisk, store);
        }

        Optional<QemuCommandLine.StoreDisk> storeDisk() {
            return store.map(s -> new QemuCommandLine.StoreDisk(s.file(), false));
        }
    }

    /** Boots a fresh guest. */
    static QemuVm boot(Machine machine, SandboxConfig config) {
        return started(config, machine.accel(), vm -> {
            ScratchDisk.create(vm.runDir.resolve(QemuCommandLine.SCRATCH_DISK), config.disk());
            vm.timeline.mark("scratch");
            vm.stageClasspath();
            vm.stageHostPaths();
            vm.launch(
                    machine,
                    machine.storeDisk(),
                    config.mounts().stream().map(Mount::hostPath).toList(),
                    new QemuCommandLine.Start.Boot());
            long deadline = vm.deadline(config.bootTimeout());
            vm.connect(deadline);
            vm.attach(deadline, new Message.Attach(0, 0, null, true, config.pids(), vm.setupScript()));
            vm.logPhases();
        });
    }

    /** Restores a guest from {@code template}, which was saved for this configuration's key. */
    static QemuVm restore(Machine machine, SandboxConfig config, Template template) {
        return started(config, machine.accel(), vm -> {
            vm.timeline.restored();
            vm.stageClasspath();
            vm.stageHostPaths();
            vm.launch(
                    machine,
                    machine.storeDisk(),
                    config.mounts().stream().map(Mount::hostPath).toList(),
                    new QemuCommandLine.Start.Restore(template.memory(), template.scratch()));
            long deadline = vm.deadline(
                    config.bootTimeout().compareTo(RESTORE_TIMEOUT) < 0 ? config.bootTimeout() : RESTORE_TIMEOUT);
            try (QmpClient qmp = vm.monitor(deadline)) {
                qmp.execute("migrate-set-capabilities", ignoreShared(), Duration.ofSeconds(30));
                qmp.execute(
                        "migrate-incoming",
                        Map.of("uri", "exec:cat " + shellQuote(template.state().toString())),
                        Duration.ofSeconds(30));
            }
            vm.timeline.mark("incoming");
            vm.connect(deadline);
            byte[] entropy = new byte[64];
            ENTROPY.nextBytes(entropy);
            vm.attach(
                    deadline,
                    new Message.Attach(
                            0,
                            System.currentTimeMillis(),
                            HexFormat.of().formatHex(entropy),
                            true,
                            config.pids(),
                            vm.setupScript()));
            vm.logPhases();
        });
    }

    /**
     * Boots a guest that runs nothing of any user (no classpath share, no test, no command but the
     * agent's own), lets the agent and podman start, and saves it into {@code folder}: memory,
     * device state and scratch disk. The VM is gone when this returns.
     */
    static void saveTemplate(Machine machine, SandboxConfig config, Path folder) {
        QemuVm vm = started(config, machine.accel(), v -> {
            Path scratch = folder.resolve(Template.SCRATCH);
            ScratchDisk.create(scratch, config.disk());
            List<Path> emptyShares = new ArrayList<>();
            Files.createDirectories(v.runDir.resolve(QemuCommandLine.CLASSPATH_DIR));
            // the same devices as its clones, each share empty: nothing of any host's files is in a template
            Files.createDirectories(v.runDir.resolve(QemuCommandLine.HOST_DIR));
            for (int i = 0; i < config.mounts().size(); i++) {
                emptyShares.add(Files.createDirectories(v.runDir.resolve("share" + i)));
            }
            v.launch(
                    machine,
                    machine.storeDisk(),
                    emptyShares,
                    new QemuCommandLine.Start.ForTemplate(folder.resolve(Template.MEMORY), scratch));
            long deadline = v.deadline(config.bootTimeout());
            try (QmpClient qmp = v.monitor(deadline)) {
                v.connect(deadline);
                v.attach(deadline, Message.Attach.bare());
                v.save(qmp, folder.resolve(Template.STATE), folder.resolve(Template.WARMUP));
            }
        });
        vm.close();
    }

    /**
     * Boots a guest with the empty ext4 {@code disk} attached writable, has its podman load each of
     * {@code archives} into a store on it (nothing else runs there), and checks that every image
     * the archives name is in it. The VM is gone when this returns.
     */
    static void fillImageStore(Machine machine, List<Path> archives, Path disk) {
        long archiveBytes = 0;
        for (Path a : archives) {
            archiveBytes += a.toFile().length();
        }
        SandboxConfig config = SandboxConfig.defaults()
                .withMemory("2g")
                .withCpus(2)
                .withDisk(dev.microvmsandbox.backend.ByteSize.ofMebibytes(
                        Math.max(8192, (archiveBytes >> 20) * 2 + 2048)))
                .withTimeout(Duration.ofMinutes(60));
        QemuVm vm = started(config, machine.accel(), v -> {
            ScratchDisk.create(v.runDir.resolve(QemuCommandLine.SCRATCH_DISK), config.disk());
            Files.createDirectories(v.runDir.resolve(QemuCommandLine.CLASSPATH_DIR));
            v.launch(
                    machine,
                    Optional.of(new QemuCommandLine.StoreDisk(disk, true)),
                    List.of(),
                    new QemuCommandLine.Start.Boot());
            long deadline = v.deadline(config.bootTimeout());
            v.connect(deadline);
            v.attach(deadline, Message.Attach.bare());
            String podman =
                    "podman --root " + STORE_MOUNT + "/storage --runroot /run/store-build --storage-driver overlay";
            v.guestShell(
                    "mkdir -p " + STORE_MOUNT + " && mount -t ext4 /dev/vdd " + STORE_MOUNT, Duration.ofMinutes(2));
            int i = 0;
            for (Path archive : archives) {
                String guestFile = "/var/lib/containers/load-" + (i++) + ".tar";
                v.copyIn(archive, guestFile, 0644);
                // generous: unpacking layers under emulation
                long minutes = 10 + (archive.toFile().length() >> 26);
                v.guestShell(
                        podman + " load -q -i " + guestFile + " && rm -f " + guestFile, Duration.ofMinutes(minutes));
            }
            v.guestShell("sync && umount " + STORE_MOUNT, Duration.ofMinutes(5));
        });
        vm.close();
    }

    /**
     * Loads {@code archives} into this sandbox's own podman store: for a sandbox whose images have
     * no prepared store.
     */
    void loadImages(List<Path> archives) {
        int i = 0;
        for (Path archive : archives) {
            String guestFile = "/var/lib/containers/load-" + (i++) + ".tar";
            copyIn(archive, guestFile, 0644);
            long minutes = 10 + (archive.toFile().length() >> 26);
            guestShell(
                    "podman load -q -i " + guestFile + "; rc=$?; rm -f " + guestFile + "; exit $rc",
                    Duration.ofMinutes(minutes));
        }
    }

    /** Where a store disk is filled in its builder's guest. */
    private static final String STORE_MOUNT = "/run/msb/store-build";

    private String guestShell(String script, Duration timeout) {
        CommandResult r = exec(Command.shell(script).withTimeout(timeout));
        if (!r.succeeded()) {
            throw new SandboxException("'" + script + "' failed in the guest (exit " + r.exitCode()
                    + (r.timedOut() ? ", timed out" : "") + "): " + tail(r.stderr() + r.stdout()));
        }
        return r.stdout();
    }

    private static String tail(String s) {
        return s.length() <= 2000
                ? s.strip()
                : "..." + s.substring(s.length() - 2000).strip();
    }

    private interface Steps {
        void run(QemuVm vm) throws IOException;
    }

    private static QemuVm started(SandboxConfig config, AcceleratorProbe.Choice accel, Steps steps) {
        QemuVm vm = new QemuVm(config, accel, RunDirectory.create());
        try {
            steps.run(vm);
            return vm;
        } catch (IOException e) {
            vm.close();
            throw new SandboxException("could not start sandbox " + vm.id + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            vm.close();
            throw e;
        }
    }

    private void stageClasspath() throws IOException {
        List<String> jvm = new ArrayList<>(AgentDisk.JVM_OPTIONS);
        // for an agent started from the share's agent.args; one started from the agent disk sets them on attach
        config.systemProperties().forEach((k, v) -> jvm.add(ClasspathStaging.quoted("-D" + k + "=" + v)));
        ClasspathStaging.stage(
                config.classpath(),
                runDir.resolve(QemuCommandLine.CLASSPATH_DIR),
                jvm,
                config.env(),
                config.systemProperties());
        timeline.mark("staged");
    }

    /** The host paths, linked into the run folder's host share; the guest links them into its root once attached. */
    private void stageHostPaths() throws IOException {
        if (!config.hostPaths().isEmpty()) {
            int files = HostPathStaging.stage(config.hostPaths(), runDir.resolve(QemuCommandLine.HOST_DIR));
            LOG.debug("{}: {} host files staged for the guest", id, files);
        }
    }

    private void launch(
            Machine machine, Optional<QemuCommandLine.StoreDisk> store, List<Path> shares, QemuCommandLine.Start start)
            throws IOException {
        List<String> args = QemuCommandLine.build(
                machine.qemu(),
                accel,
                config,
                machine.image(),
                runDir.path(),
                shares,
                Optional.of(machine.agentDisk()),
                store,
                start);
        LOG.debug("{}: {}", id, String.join(" ", args));
        process = QemuLauncher.start(args, runDir.path());
        timeline.mark("spawned");
        console.follow(process.getInputStream(), id + "-console", new ConsoleLog.Reader() {
            @Override
            public void line(String line) {
                stop.consoleLine(line);
                if (line.contains(FROZEN_LINE)) {
                    hostGoneSeen.complete(null);
                }
            }

            @Override
            public void ended() {
                stop.consoleEnded();
            }
        });
        process.onExit().thenAccept(p -> stop.qemuExited(p.exitValue()));
        stop.decision().thenAccept(this::stopped);
        timeout = TIMERS.schedule(
                () -> kill(
                        StopCause.HostAction.TIMEOUT,
                        "the sandbox's timeout of " + TimeLimit.format(config.timeout()) + " passed"),
                config.timeout().toMillis(),
                TimeUnit.MILLISECONDS);
    }

    private QmpClient monitor(long deadline) throws IOException {
        try {
            return QmpClient.connect(
                    runDir.resolve(QemuCommandLine.QMP_SOCKET),
                    Duration.ofNanos(Math.max(0, deadline - System.nanoTime())),
                    process.toHandle());
        } catch (IOException e) {
            kill(StopCause.HostAction.NOT_READY, "qemu's monitor did not answer: " + e.getMessage());
            throw bootFailure();
        }
    }

    /** Connects the channel and routes the agent's announcements to their futures. */
    private void connect(long deadline) {
        channel = connectChannel(deadline);
        stop.channelOpened();
        channel.start(new Channel.Receiver() {
            @Override
            public void message(Message message) {
                if (message instanceof Message.Ready r) {
                    timeline.mark("ready");
                    timeline.readyUptime(r.uptimeMillis());
                    timeline.attachSteps(r.attachSteps());
                    ready.complete(r);
                } else if (message instanceof Message.Hello h) {
                    timeline.mark("hello");
                    timeline.guestSteps(h.bootSteps());
                    LOG.debug("{}: agent up, kernel {}, java {}", id, h.kernel(), h.javaVersion());
                    hello.complete(h);
                } else if (message instanceof Message.Frozen f) {
                    frozen.complete(f);
                } else if (message instanceof Message.SetupFailed f) {
                    ready.completeExceptionally(new SandboxSetupFailure(
                            "setting up sandbox " + id + " failed: " + HostLimits.guestText(f.error())));
                }
            }

            @Override
            public void closed(String reason) {
                channelClosed(reason);
                SandboxException lost = new SandboxException(reason);
                hello.completeExceptionally(lost);
                ready.completeExceptionally(lost);
                frozen.completeExceptionally(lost);
            }
        });
    }

    /**
     * Waits for the agent's hello, sends {@code attach}, waits until the guest is ready. A restored
     * guest that said hello is restored: the sandbox's own setup (its host paths linked into the
     * root, say) then has the boot timeout, as in a boot, not what is left of the restore's.
     */
    private void attach(long deadline, Message.Attach attach) {
        await(hello, deadline, "the guest agent did not say hello");
        try {
            channel.send(attach);
        } catch (IOException e) {
            kill(StopCause.HostAction.NOT_READY, "the channel broke: " + e.getMessage());
            throw bootFailure();
        }
        long readyBy = timeline.isRestore() ? deadline(config.bootTimeout()) : deadline;
        Message.Ready r = await(ready, readyBy, "the guest was not ready");
        LOG.info(
                "{}: {} in {} ms ({}; podman API {})",
                id,
                timeline.isRestore() ? "restored" : "ready",
                timeline.hostMillis("ready").orElse(-1L),
                accel.reason(),
                r.podmanVersion());
    }

    private <T> T await(CompletableFuture<T> future, long deadline, String what) {
        try {
            return future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            kill(StopCause.HostAction.NOT_READY, what + " within " + TimeLimit.format(waitBound));
            throw bootFailure();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill(StopCause.HostAction.NOT_READY, "interrupted while waiting for the guest");
            throw bootFailure();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof SandboxSetupFailure setup) {
                throw setup; // the guest is up, the sandbox's own setup failed: the caller closes it
            }
            // the channel ended before the guest was ready: the VM is going down, its cause says why
            throw bootFailure();
        }
    }

    /** A deadline {@code bound} from now; waits that pass it name the bound. */
    private long deadline(Duration bound) {
        waitBound = bound;
        return System.nanoTime() + bound.toNanos();
    }

    /**
     * A wait while saving: the guest came up, so a wait that fails here is the template's failure,
     * not a boot's, and the sandbox boots instead.
     */
    private <T> T awaitSaving(CompletableFuture<T> future, String what) {
        try {
            return await(future, deadline(SAVE_TIMEOUT), what);
        } catch (GuestBootFailure e) {
            throw new SandboxException("the guest could not be saved as a template: " + e.getMessage(), e);
        }
    }

    /**
     * Freezes the agent, then has qemu write the device state; the memory is already in its file.
     * What the agent's JUnit warm-up did goes to {@code warmupFile} and the log.
     */
    private void save(QmpClient qmp, Path stateFile, Path warmupFile) throws IOException {
        channel.send(new Message.Freeze(channel.nextId()));
        Message.Frozen f = awaitSaving(frozen, "the agent did not freeze");
        if (f.error() != null) {
            throw new SandboxException("the guest cannot be saved as a template: " + f.error());
        }
        String warmup = "JUnit warm-up: " + Math.max(0, f.warmedTests()) + " tests passed in "
                + Math.max(0, f.warmupMillis()) + " ms";
        LOG.info("{}: {}", id, warmup);
        Files.writeString(warmupFile, warmup + "\n");
        // from here on the VM ends as its owner wants: saved, then quit
        stop.hostActed(StopCause.HostAction.CLOSED, "the guest was saved as a template");
        channel.close();
        // saved before the guest has seen the host go, the template would hold a port its guest
        // still takes for connected: a clone's agent would wait in its old session and never say hello
        awaitSaving(hostGoneSeen, "the frozen agent did not see the host go");
        qmp.execute("migrate-set-capabilities", ignoreShared(), Duration.ofSeconds(30));
        qmp.execute("migrate", Map.of("uri", "exec:cat > " + shellQuote(stateFile.toString())), Duration.ofSeconds(30));
        long deadline = System.nanoTime() + SAVE_TIMEOUT.toNanos();
        while (true) {
            String status = qmp.execute("query-migrate", Map.of(), Duration.ofSeconds(30))
                    .path("status")
                    .asText();
            if (status.equals("completed")) {
                break;
            }
            if (status.equals("failed") || status.equals("cancelled") || System.nanoTime() > deadline) {
                throw new SandboxException("qemu could not save the template's device state (migration " + status
                        + ")\n--- guest console ---\n" + consoleTail());
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while saving a template");
            }
        }
        try {
            qmp.execute("quit", Map.of(), Duration.ofSeconds(10));
        } catch (IOException e) {
            // qemu may close the monitor before it answers
        }
        try {
            process.onExit().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            throw new SandboxException("qemu did not exit after saving a template");
        }
        timeline.mark("saved");
    }

    /** Memory in a shared file is the template's memory file: the migration stream leaves it out. */
    private static Map<String, Object> ignoreShared() {
        return Map.of("capabilities", List.of(Map.of("capability", "x-ignore-shared", "state", true)));
    }

    /** {@code 'text'} for /bin/sh, which qemu runs an exec: migration URI with. */
    static String shellQuote(String text) {
        return "'" + text.replace("'", "'\\''") + "'";
    }

    /** Where the start's time went, for the debug log. */
    private void logPhases() {
        LOG.debug("{}: boot phases: {}", id, timeline.describe());
    }

    /**
     * What the agent runs once attached, before it is ready: the host-path share's layout and the
     * extra shares' mounts, empty when there are none (the agent sets the thread limit itself).
     */
    private String setupScript() {
        StringBuilder script = new StringBuilder();
        if (!config.hostPaths().isEmpty()) {
            script.append(HostPathStaging.guestLayout());
        }
        for (int i = 0; i < config.mounts().size(); i++) {
            String guestPath = config.mounts().get(i).guestPath();
            script.append("mkdir -p '")
                    .append(guestPath)
                    .append("' && mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,ro msb-m")
                    .append(i)
                    .append(" '")
                    .append(guestPath)
                    .append("'\n");
        }
        return script.toString();
    }

    private Channel connectChannel(long deadline) {
        Path socket = runDir.resolve(QemuCommandLine.CHANNEL_SOCKET);
        while (System.nanoTime() < deadline && process.isAlive()) {
            try {
                SocketChannel sc = SocketChannel.open(StandardProtocolFamily.UNIX);
                try {
                    sc.connect(UnixDomainSocketAddress.of(socket));
                    return new Channel(id, inputOf(sc), outputOf(sc), HostLimits.MAX_FRAME, sc);
                } catch (IOException e) {
                    sc.close();
                }
                Thread.sleep(20);
            } catch (IOException e) {
                throw new SandboxException("cannot open a socket: " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                kill(StopCause.HostAction.NOT_READY, "interrupted while waiting for qemu to open the channel socket");
                throw bootFailure();
            }
        }
        if (process.isAlive()) {
            kill(
                    StopCause.HostAction.NOT_READY,
                    "qemu did not open the channel socket within " + TimeLimit.format(waitBound));
        }
        throw bootFailure();
    }

    /** Why the boot failed, once the VM is down and its console read to the end. */
    private GuestBootFailure bootFailure() {
        String cause = awaitDeathCause().orElse("unknown cause");
        return new GuestBootFailure("sandbox " + id + " failed to boot: " + cause
                + "\n--- guest console (last lines; full log was " + console.file() + ") ---\n" + consoleTail());
    }

    /** Every configured image: from the image store, or loaded right after the start. */
    @Override
    public List<Path> startedWithImages() {
        return config.images();
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public SandboxConfig config() {
        return config;
    }

    @Override
    public Channel channel() {
        return channel;
    }

    @Override
    public String acceleration() {
        return accel.reason();
    }

    @Override
    public boolean emulatesCpu() {
        return !accel.isKvm();
    }

    /** Where this sandbox's boot spent its time, for measurements. */
    BootTimeline timeline() {
        return timeline;
    }

    /** The qemu process, for measurements. */
    ProcessHandle qemuProcess() {
        return process.toHandle();
    }

    @Override
    public String consoleTail() {
        return console.tail(CONSOLE_LINES);
    }

    @Override
    public Optional<String> deathCause() {
        return stop.decided();
    }

    /**
     * Waits for the verdict. Callers ask once the channel has failed, when qemu is exiting or
     * killed; one that still runs after {@link #EXIT_GRACE} has stopped answering and is killed.
     */
    @Override
    public Optional<String> awaitDeathCause() {
        try {
            return Optional.of(stop.decision().get(EXIT_GRACE.toMillis(), TimeUnit.MILLISECONDS));
        } catch (TimeoutException stillRunning) {
            kill(
                    StopCause.HostAction.CHANNEL_LOST,
                    "the guest stopped answering and qemu did not exit within " + TimeLimit.format(EXIT_GRACE));
            try {
                return Optional.of(stop.decision().get(EXIT_GRACE.toMillis(), TimeUnit.MILLISECONDS));
            } catch (TimeoutException | ExecutionException e) {
                LOG.warn("{}: qemu did not exit after SIGKILL", id);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } catch (ExecutionException e) {
            LOG.warn("{}: deciding why the VM stopped failed", id, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return deathCause();
    }

    /**
     * The channel to the guest ended. If the guest broke the protocol the host stops the VM;
     * otherwise qemu closed the socket because it is exiting, and its exit says why.
     */
    private void channelClosed(String reason) {
        Channel.End how = channel.end().orElse(Channel.End.OTHER_SIDE);
        if (how == Channel.End.PROTOCOL_VIOLATION) {
            kill(StopCause.HostAction.PROTOCOL_VIOLATION, "the guest broke the channel protocol (" + reason + ")");
        } else if (how == Channel.End.RECEIVER_FAILURE) {
            kill(
                    StopCause.HostAction.PROTOCOL_VIOLATION,
                    "the host could not take what the guest sent (" + reason + ")");
        }
        stop.channelEnded();
    }

    /** The verdict is in: say it, unless the owner closed a healthy VM. */
    private void stopped(String cause) {
        cancelTimeout();
        if (!stop.closedByOwnerOnly()) {
            LOG.warn("{}: {}", id, cause);
        }
    }

    /** The host stops the VM for {@code cause}. */
    private void kill(StopCause.HostAction action, String cause) {
        stop.hostActed(action, cause);
        destroy();
    }

    @Override
    public void close() {
        stop.hostActed(StopCause.HostAction.CLOSED, "the sandbox was closed by its owner");
        destroy();
        Process p = process;
        if (p != null) {
            try {
                p.onExit().get(EXIT_GRACE.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                LOG.warn("{}: interrupted while waiting for qemu to exit", id);
            } catch (ExecutionException | TimeoutException e) {
                LOG.warn("{}: qemu did not exit after SIGKILL", id);
            }
        }
        runDir.close();
    }

    private void cancelTimeout() {
        ScheduledFuture<?> t = timeout;
        if (t != null) {
            t.cancel(false);
        }
    }

    /** Closes the channel first, so the reader sees this side's close, not the end of a killed qemu. */
    private void destroy() {
        cancelTimeout();
        Channel c = channel;
        if (c != null) {
            c.close();
        }
        Process p = process;
        if (p != null && p.isAlive()) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    private static InputStream inputOf(SocketChannel sc) {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return sc.read(ByteBuffer.wrap(b, off, len));
            }
        };
    }

    private static OutputStream outputOf(SocketChannel sc) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                ByteBuffer buf = ByteBuffer.wrap(b, off, len);
                while (buf.hasRemaining()) {
                    sc.write(buf);
                }
            }
        };
    }
}
