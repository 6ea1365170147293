package io.shmq.sidechannel.internal;

import io.shmq.transport.shmem.internal.os.ShmFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A {@link SideChannelMain} device in a second JVM on this test's class path; its output lines are collected, its
 * {@code RESULT} line parsed. Also the session-file helpers of the two-JVM tests.
 */
final class ChildJvm implements AutoCloseable {
    private final Process process;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Thread pump;

    ChildJvm(final String device, final List<String> arguments) throws IOException {
        final List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "--enable-native-access=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow", "-cp", System.getProperty("java.class.path"),
                SideChannelMain.class.getName(), device));
        command.addAll(arguments);
        process = new ProcessBuilder(command).redirectErrorStream(true).start();
        pump = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    lines.add(line);
                }
            } catch (final IOException e) {
                lines.add("pump failed: " + e);
            }
        }, "child-output");
        pump.setDaemon(true);
        pump.start();
    }

    /** @return the exit status, after waiting at most {@code seconds} (the child is killed after that) */
    int await(final long seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
            lines.add("killed after seconds=" + seconds);
        }
        pump.join(5_000);
        return process.exitValue();
    }

    /** @return the lines the child printed so far */
    List<String> lines() {
        return List.copyOf(lines);
    }

    /** @return the counters of the child's {@code RESULT {k=v, ...}} line */
    Map<String, Long> result() {
        final String line = lines.stream().filter(l -> l.startsWith("RESULT {")).findFirst()
                .orElseThrow(() -> new AssertionError("no RESULT line: " + lines));
        final Map<String, Long> counters = new TreeMap<>();
        for (final String pair : line.substring("RESULT {".length(), line.length() - 1).split(", ")) {
            final int eq = pair.indexOf('=');
            counters.put(pair.substring(0, eq), Long.parseLong(pair.substring(eq + 1)));
        }
        return counters;
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly().waitFor();
        }
    }

    /** @return the shmId of a session of this user */
    static String shmId(final String session) throws IOException {
        return ShmFiles.shmId(((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue(), session);
    }

    /** @return how many files of the session are in the shared-memory directory; removes them (they are this test's own) */
    static long removeSessionFiles(final String session) throws IOException {
        final String shmId = shmId(session);
        final long left;
        try (var files = Files.list(ShmFiles.DEFAULT_DIRECTORY)) {
            left = files.filter(p -> p.getFileName().toString().startsWith(ShmFiles.PREFIX + shmId + "_")).count();
        }
        if (left > 0) {
            ShmFiles.deleteAll(ShmFiles.DEFAULT_DIRECTORY, shmId);
        }
        return left;
    }
}
