package dev.microvmsandbox.guest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A short command the agent runs for itself and waits for (a mount, the clone's reseed, the
 * sandbox's setup script): its input given whole, its output and error read together and kept up
 * to {@link #MAX_OUTPUT} bytes, its time limited. Output is read while the command runs, so a
 * command that never closes it still meets its time limit, and a killed one still says what it
 * printed.
 */
final class GuestCommand {

    /** What of a command's output a failure carries. */
    static final int MAX_OUTPUT = 4096;

    private GuestCommand() {}

    /**
     * Runs {@code command} with {@code input} on its stdin.
     *
     * @return its output, at most {@link #MAX_OUTPUT} bytes of it, stripped
     * @throws IOException if it cannot start, exits other than 0 or outlives {@code limit}; the
     *     message has the exit code or the limit and the output
     */
    static String run(List<String> command, byte[] input, Duration limit) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        Output output = new Output(p.getInputStream());
        Thread reader = new Thread(output, "output of " + command.get(0));
        reader.setDaemon(true);
        reader.start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(input);
        } catch (IOException e) {
            // a command that exits without reading its input: its exit code says what happened
        }
        if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new IOException("no exit within " + limit.toSeconds() + " s: " + output.kept());
        }
        // a child the command left running may hold the output open: wait for it only a moment
        reader.join(2_000);
        if (p.exitValue() != 0) {
            throw new IOException("exit code " + p.exitValue() + ": " + output.kept());
        }
        return output.kept();
    }

    /** Reads a command's output to its end, keeping the first {@link #MAX_OUTPUT} bytes. */
    private static final class Output implements Runnable {
        private final InputStream in;
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();

        Output(InputStream in) {
            this.in = in;
        }

        @Override
        public void run() {
            byte[] buffer = new byte[8192];
            try (in) {
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    synchronized (kept) {
                        kept.write(buffer, 0, Math.min(n, MAX_OUTPUT - kept.size()));
                    }
                }
            } catch (IOException e) {
                // closed when the command was killed: what was read so far stays
            }
        }

        String kept() {
            synchronized (kept) {
                return kept.toString(StandardCharsets.UTF_8).strip();
            }
        }
    }
}
