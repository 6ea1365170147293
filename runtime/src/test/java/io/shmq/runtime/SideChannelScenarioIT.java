package io.shmq.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --scenario sidechannel} as a user starts it: the cache in this runtime, the consumer in a second one it
 * starts; with a count both end by themselves, the first with exit status 0, and the session leaves no file.
 */
class SideChannelScenarioIT {
    private static final long WAIT_S = 90;

    @TempDir
    Path dir;

    @Test
    void shouldResolveEveryRowInASecondRuntimeAndExitZeroLeavingNoSharedMemoryFile() throws Exception {
        for (final String transport : List.of("shmem", "zeromq")) {
            final String session = "scit-" + UUID.randomUUID().toString().substring(0, 8);
            final Path log = dir.resolve(transport + ".log");
            final Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
                    "--sun-misc-unsafe-memory-access=allow", "-jar", System.getProperty("runtime.jar"),
                    "--scenario", "sidechannel", "--count", "20000", "--transport", transport, "--session", session,
                    "--rate-logging", "0").directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            final boolean ended = p.waitFor(WAIT_S, TimeUnit.SECONDS);
            if (!ended) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly().waitFor();
            }
            final String out = Files.readString(log);
            assertTrue(ended, "the runtime ended: " + out);
            assertEquals(0, p.exitValue(), out);
            assertTrue(out.contains("shmq runtime: side channel: cache (this process) -> Arrow tables over "
                    + transport), out);
            assertTrue(out.contains("[consumer] summary (done): rows=20000 resolved, ok=20000, bad=0"), out);
            assertTrue(out.contains("bytes read in place (not copied"), out);
            assertTrue(out.contains("summary (done):") && out.contains("dropped=0"), out);
            assertEquals(0, sessionFiles(session), "files of session " + session + " left: " + out);
        }
    }

    @Test
    void shouldEndWithStatusOneWhenTheConsumerRuntimeIsKilled() throws Exception {
        final String session = "scit-" + UUID.randomUUID().toString().substring(0, 8);
        final Path log = dir.resolve("killed.log");
        final Process p = startEndless(session, log);
        try {
            final long consumer = awaitConsumerRows(p, log);
            assertTrue(consumer > 0, "the consumer runtime resolved rows: " + Files.readString(log));
            ProcessHandle.of(consumer).ifPresent(ProcessHandle::destroyForcibly);
            final boolean ended = p.waitFor(WAIT_S, TimeUnit.SECONDS);
            final String out = Files.readString(log);
            assertTrue(ended, "the runtime ended after its consumer was killed: " + out);
            assertEquals(1, p.exitValue(), out);
            assertTrue(out.contains("shmq side channel: the consumer runtime (pid " + consumer + ") exited with "
                    + "status 137 before the run ended"), out);
            assertEquals(0, sessionFiles(session), "files of session " + session + " left: " + out);
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly().waitFor();
        }
    }

    @Test
    void shouldEndTheConsumerRuntimeWhenTheFirstIsKilled() throws Exception {
        final String session = "scit-" + UUID.randomUUID().toString().substring(0, 8);
        final Path log = dir.resolve("orphan.log");
        final Process p = startEndless(session, log);
        ProcessHandle consumer = null;
        try {
            consumer = ProcessHandle.of(awaitConsumerRows(p, log)).orElse(null);
            assertTrue(consumer != null, "the consumer runtime resolved rows: " + Files.readString(log));
            p.destroyForcibly().waitFor(); // SIGKILL: the consumer runtime is left without its producer
            // The consumer's output still goes to the log; it says why it ends (a stall would say "no table for").
            final boolean ended = consumer.onExit().thenApply(h -> true)
                    .completeOnTimeout(false, WAIT_S, TimeUnit.SECONDS).get();
            final String out = Files.readString(log);
            assertTrue(ended, "the consumer runtime ended: " + out);
            assertTrue(out.contains("[consumer] the first runtime (pid " + p.pid() + ") is gone"), out);
            assertEquals(0, sessionFiles(session), "files of session " + session + " left: " + out);
        } finally {
            if (consumer != null) {
                consumer.destroyForcibly();
            }
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly().waitFor();
        }
    }

    @Test
    void shouldRefuseAnUnknownScenarioWithExitStatusTwo() throws Exception {
        final Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", System.getProperty("runtime.jar"), "--scenario", "colour").redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(WAIT_S, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), out);
        assertTrue(out.contains("bad value: option=--scenario, value=colour, known=pipeline,sidechannel"), out);
    }

    /** Starts the scenario without a count (it runs until stopped), its output and its consumer's into {@code log}. */
    private Process startEndless(final String session, final Path log) throws IOException {
        return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow", "-jar", System.getProperty("runtime.jar"),
                "--scenario", "sidechannel", "--count", "0", "--session", session, "--rate-logging", "1")
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** @return the consumer runtime's pid once it printed a rate line, or -1 when none came in time */
    private static long awaitConsumerRows(final Process p, final Path log) throws IOException, InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
        final Pattern pid = Pattern.compile("consumer {5}pid=(\\d+) \\(second runtime\\)");
        while (System.nanoTime() < deadline && p.isAlive()) { // its pid, then its first rate line
            final String out = Files.readString(log);
            final Matcher m = pid.matcher(out);
            if (m.find() && out.contains("rows/s resolved")) {
                return Long.parseLong(m.group(1));
            }
            Thread.sleep(100);
        }
        return -1;
    }

    /** @return files of the session in the shared-memory directory (shmId = first 4 bytes of SHA-256(uid + session)) */
    private static long sessionFiles(final String session) throws Exception {
        final String uid = String.valueOf(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        final String shmId = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest((uid + session).getBytes(StandardCharsets.UTF_8)), 0, 4);
        try (Stream<Path> files = Files.list(RuntimeIT.SHM_DIR)) {
            return files.filter(f -> f.getFileName().toString().startsWith("shmq_" + shmId + "_")).count();
        } catch (final IOException e) {
            return 0;
        }
    }
}
