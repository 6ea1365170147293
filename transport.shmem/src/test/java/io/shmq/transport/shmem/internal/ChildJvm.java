package io.shmq.transport.shmem.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A second JVM running {@link ShmChild}, driven by lines on stdin/stdout. Every wait has a timeout; close()
 * destroys the process.
 */
final class ChildJvm implements AutoCloseable {
    private final Process process;
    private final PrintWriter in;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final StringBuilder stderr = new StringBuilder();

    ChildJvm(final String session, final long segmentSize) throws IOException {
        this(session, segmentSize, ShmSession.DIRECTORY);
    }

    ChildJvm(final String session, final long segmentSize, final Path directory) throws IOException {
        this(session, segmentSize, directory, "--enable-native-access=ALL-UNNAMED");
    }

    /** @param nativeAccess the JVM option that grants or denies native access (downcalls) */
    ChildJvm(final String session, final long segmentSize, final Path directory, final String nativeAccess)
            throws IOException {
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        process = new ProcessBuilder(List.of(java, nativeAccess, "-Xmx256m", "-cp",
                System.getProperty("java.class.path"), ShmChild.class.getName(), session, Long.toString(segmentSize),
                directory.toString())).start();
        in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
        Thread.ofPlatform().daemon().start(() -> pump(new BufferedReader(new InputStreamReader(
                process.getInputStream(), StandardCharsets.UTF_8)), true));
        Thread.ofPlatform().daemon().start(() -> pump(new BufferedReader(new InputStreamReader(
                process.getErrorStream(), StandardCharsets.UTF_8)), false));
        expect("READY", 30);
    }

    private void pump(final BufferedReader reader, final boolean out) {
        try {
            String line;
            while ((line = reader.readLine()) != null) {
                if (out) {
                    lines.add(line);
                } else {
                    synchronized (stderr) {
                        stderr.append(line).append('\n');
                    }
                }
            }
        } catch (IOException ignored) {
            // the process ended
        }
    }

    long pid() {
        return process.pid();
    }

    Process process() {
        return process;
    }

    void send(final String command) {
        in.println(command);
    }

    /** Sends a command and returns the rest of the first output line that starts with {@code prefix}. */
    String call(final String command, final String prefix, final int timeoutSeconds) {
        send(command);
        return expect(prefix, timeoutSeconds);
    }

    /** @return the rest of the next line starting with {@code prefix}; other lines before it are skipped */
    String expect(final String prefix, final int timeoutSeconds) {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (true) {
            final long left = deadline - System.nanoTime();
            final String line;
            try {
                line = left <= 0 ? null : lines.poll(left, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + prefix);
            }
            if (line == null) {
                throw new AssertionError("child did not print '" + prefix + "' within " + timeoutSeconds
                        + " s; alive=" + process.isAlive() + ", stderr:\n" + stderr());
            }
            if (line.startsWith("ERROR")) {
                throw new AssertionError("child failed: " + line + "\nstderr:\n" + stderr());
            }
            if (line.startsWith(prefix)) {
                return line.substring(prefix.length()).trim();
            }
        }
    }

    String stderr() {
        synchronized (stderr) {
            return stderr.toString();
        }
    }

    @Override
    public void close() {
        try {
            in.println("exit");
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
