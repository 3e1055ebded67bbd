package dev.microvmsandbox.fork;

import dev.microvmsandbox.backend.SandboxException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * One fork of the plugin's, split over several sandboxes: the launcher's {@code forkCount} and
 * {@code reuseForks}. Surefire's own {@code forkCount} above 1 and {@code reuseForks=false} make the
 * plugin load the test classes in Maven's JVM to hand them out; here the plugin forks once, gives that
 * fork the list of test classes it found by file name, and the launcher deals the list into parts (see
 * {@link ForkPlan#split}), each run by the same booter in a sandbox of its own, at most
 * {@code forkCount} at once. The parts' events become one stream ({@link EventMerge}), the plugin's
 * commands go to every part ({@link CommandFanOut}), and the plugin sees one fork that ran every class.
 */
final class SplitFork {

    /** How long the plugin may take to acknowledge the merged {@code bye}. */
    static final Duration BYE_ACK_WAIT = Duration.ofSeconds(30);

    private final LauncherConsole console;
    private final SandboxFork sandboxes;
    private final SurefireVersion version;
    private final Map<String, ForkPlan.Part> owners = new ConcurrentHashMap<>();

    SplitFork(LauncherConsole console, SandboxFork sandboxes, SurefireVersion version) {
        this.console = console;
        this.sandboxes = sandboxes;
        this.version = version;
    }

    /**
     * @return 0 when every part's fork exited 0 after saying goodbye; otherwise the first failing part's
     *     status (1 when its sandbox failed), and the plugin gets no goodbye, so it reports the fork as
     *     crashed
     */
    int run(String forkName, List<ForkPlan.Part> parts, int atOnce, InputStream stdin, OutputStream stdout)
            throws IOException {
        parts.forEach(p -> p.classes().forEach(c -> owners.put(c, p)));
        int threads = Math.min(atOnce, parts.size());
        int classes = parts.stream().mapToInt(p -> p.classes().size()).sum();
        console.say(forkName + ": " + classes + " test classes split into " + parts.size() + " parts, run in " + threads
                + " sandboxes at once");
        EventMerge merge = new EventMerge(stdout);
        CommandFanOut commands = new CommandFanOut(stdin);
        Thread reader = new Thread(commands, "microvm-sandbox-commands");
        reader.setDaemon(true);
        reader.start();
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "microvm-sandbox-part");
            t.setDaemon(true);
            return t;
        });
        List<Future<Integer>> results = new ArrayList<>();
        try {
            for (ForkPlan.Part part : parts) {
                results.add(pool.submit(() -> runPart(part, merge, commands)));
            }
            int status = 0;
            for (int i = 0; i < parts.size(); i++) {
                int code = results.get(i).get();
                if (code != 0 && status == 0) {
                    status = code;
                }
            }
            if (status == 0 && merge.allSaidBye()) {
                merge.sayBye();
                if (!commands.awaitByeAck(BYE_ACK_WAIT)) {
                    console.say(forkName + ": the plugin did not acknowledge the end within " + BYE_ACK_WAIT.toSeconds()
                            + " s");
                }
                return 0;
            }
            console.say(forkName + ": not every part ended well; the plugin gets no goodbye and reports the fork "
                    + "as crashed");
            return status == 0 ? 1 : status;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(cause);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Whether a test source name is a class of another part (or nested in one): the part must not
     * report on it. Names of no part's class (an engine's own, for one) are the part's to use.
     */
    private boolean isForeign(String sourceName, ForkPlan.Part part) {
        int nested = sourceName.indexOf('$');
        String top = nested < 0 ? sourceName : sourceName.substring(0, nested);
        return owners.containsKey(top) && owners.get(top) != part;
    }

    private int runPart(ForkPlan.Part part, EventMerge merge, CommandFanOut commands) throws IOException {
        CommandFanOut.Pipe pipe = commands.open();
        EventMerge.Part events = merge.part(part.name(), () -> pipe.offer(CommandFanOut.BYE_ACK));
        try {
            console.say(part.name() + ": " + String.join(", ", part.classes()));
            return sandboxes.run(
                    part.name(),
                    part.guestArguments(),
                    pipe,
                    new SurefireEventFilter(events, version, name -> isForeign(name, part)),
                    null);
        } catch (LaunchFailure | SandboxException | IOException e) {
            // this part's failure; the others go on, and the plugin gets no goodbye
            console.say(part.name() + ": " + e.getMessage());
            return 1;
        } catch (UncheckedIOException e) {
            console.say(part.name() + ": " + e.getCause());
            return 1;
        } finally {
            pipe.close();
            events.end();
        }
    }
}
