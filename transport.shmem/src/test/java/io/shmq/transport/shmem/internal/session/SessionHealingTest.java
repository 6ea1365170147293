package io.shmq.transport.shmem.internal.session;

import io.shmq.transport.api.SharedMemoryException;
import io.shmq.transport.shmem.internal.os.FileHeaderLayout;
import io.shmq.transport.shmem.internal.os.Native;
import io.shmq.transport.shmem.internal.os.ShmFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sessions that always heal: half-created files of dead creators, 32-bit shmId collisions, names that are not
 * well-formed Unicode, files of another user. Every test removes the files of its own sessions, pass or fail.
 */
class SessionHealingTest {
    private static final Path DIR = ShmFiles.DEFAULT_DIRECTORY;
    private static final long SEGMENT = 1L << 20;
    private final List<String> shmIds = new ArrayList<>();

    @AfterEach
    void removeOwnFiles() {
        for (final String shmId : shmIds) {
            ShmFiles.deleteAll(DIR, shmId);
        }
    }

    private String newName() {
        final String name = "heal" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        shmIds.add(ShmFiles.shmId(Native.uid(), name));
        return name;
    }

    private static String shmId(final String name) {
        return ShmFiles.shmId(Native.uid(), name);
    }

    /** @return the pid of a process that has exited (and been reaped) */
    private static long deadPid() throws Exception {
        final Process p = new ProcessBuilder("true").start();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        return p.pid();
    }

    @Test
    void shouldTellApartTwoNamesWithTheSameShmId() {
        final String a = newName();
        final String b = "other" + a;
        final String id = shmId(a);
        final Session first = Session.join(a, id, ShmFiles.nameDigest(Native.uid(), a), DIR, SEGMENT);
        try {
            final SharedMemoryException e = assertThrows(SharedMemoryException.class,
                    () -> Session.join(b, id, ShmFiles.nameDigest(Native.uid(), b), DIR, SEGMENT));
            assertTrue(e.getMessage().contains("hash collision"), e.getMessage());
            // The first session is untouched and still joinable under its own name.
            final Session again = Session.join(a, id, ShmFiles.nameDigest(Native.uid(), a), DIR, SEGMENT);
            again.leave(true);
        } finally {
            first.leave(true);
        }
        assertFalse(Files.exists(ShmFiles.management(DIR, id)));
    }

    @Test
    void shouldRefuseNamesThatAreNotWellFormedUnicode() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ShmFiles.nameDigest(Native.uid(), "s\uD800"));
        assertTrue(e.getMessage().contains("U+D800"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Session.join("s\uDC01", DIR, SEGMENT));
        // A well-formed pair is a valid name.
        assertEquals(8, ShmFiles.shmId(Native.uid(), "s\uD83D\uDE00").length());
    }

    @Test
    void shouldReplaceAFileLinkedByACreatorThatDiedBeforeItWasReady() throws Exception {
        for (final long creator : new long[] {deadPid(), 0}) {
            final String name = newName();
            writeHalfCreated(ShmFiles.management(DIR, shmId(name)), name, creator);
            final long start = System.nanoTime();
            final Session session = Session.join(name, DIR, SEGMENT);
            final long millis = (System.nanoTime() - start) / 1_000_000;
            try {
                assertTrue(millis < 1_000, "join took " + millis + " ms");
                assertEquals(ManagementLayout.VERSION, FileHeaderLayout.version(session.memory()));
            } finally {
                session.leave(true);
            }
        }
    }

    @Test
    void shouldIgnoreAndSweepThePrivateFileOfACreatorKilledBeforeItLinked() throws Exception {
        final String name = newName();
        final String id = shmId(name);
        final Path orphan = ShmFiles.creating(DIR, id, deadPid(), 1);
        writeHalfCreated(orphan, name, 0);
        final SessionMonitor.SessionInfo info = SessionMonitor.inspect(DIR, id);
        assertEquals(SessionMonitor.State.STALE, info.state(), info.reason());
        // A joiner is not held up by it.
        final Session session = Session.join(name, DIR, SEGMENT);
        session.leave(true);
        assertFalse(Files.exists(orphan), "the session end removes every file of its shmId");
        writeHalfCreated(orphan, name, 0);
        final List<SessionMonitor.Outcome> outcomes = SessionMonitor.cleanupStale(DIR, null);
        assertTrue(outcomes.stream().anyMatch(o -> o.removed() && o.message().contains(id)), outcomes.toString());
        assertFalse(Files.exists(orphan));
    }

    @Test
    void shouldSweepAFileLinkedByADeadCreator() throws Exception {
        final String name = newName();
        final String id = shmId(name);
        writeHalfCreated(ShmFiles.management(DIR, id), name, deadPid());
        assertEquals(SessionMonitor.State.STALE, SessionMonitor.inspect(DIR, id).state());
        final SessionMonitor.Outcome outcome = SessionMonitor.cleanup(DIR, id, false);
        assertTrue(outcome.removed(), outcome.message());
        assertFalse(Files.exists(ShmFiles.management(DIR, id)));
    }

    @Test
    void shouldFinishARemovalThatADeadProcessBegan() {
        final String name = newName();
        final String id = shmId(name);
        // What a process killed inside leave() leaves: the removed mark set, the files still there, the lock free.
        final Session dying = Session.join(name, DIR, SEGMENT);
        ManagementLayout.REMOVED_H.setRelease(dying.memory(), 0L, 1);
        ManagementLayout.DEVICE_PID_H.setRelease(dying.memory(), ManagementLayout.DEVICES_OFFSET, 0L, 0L);
        final SessionMonitor.SessionInfo info = SessionMonitor.inspect(DIR, id);
        assertEquals(SessionMonitor.State.STALE, info.state(), info.reason());
        final long start = System.nanoTime();
        final Session next = Session.join(name, DIR, SEGMENT);
        assertTrue(System.nanoTime() - start < 1_000_000_000L);
        assertEquals(0, (int) ManagementLayout.REMOVED_H.getAcquire(next.memory(), 0L), "a new session file");
        next.leave(true);
        assertTrue(dying.memory().byteSize() > 0);
        assertFalse(Files.exists(ShmFiles.management(DIR, id)));
    }

    @Test
    void shouldRefuseASessionFileOfAnotherUser() throws Exception {
        Assumptions.assumeTrue(Native.uid() == 0, "skipped: only root can give a file to another user here");
        final String name = newName();
        final Path mng = ShmFiles.management(DIR, shmId(name));
        writeHalfCreated(mng, name, ProcessHandle.current().pid());
        Files.setAttribute(mng, "unix:uid", 65534);
        final SharedMemoryException e = assertThrows(SharedMemoryException.class,
                () -> Session.join(name, DIR, SEGMENT));
        assertTrue(e.getMessage().contains("uid=65534") && e.getMessage().contains(mng.toString())
                && e.getMessage().contains("shmem.directory"), e.getMessage());
        assertEquals(SessionMonitor.State.INVALID, SessionMonitor.inspect(DIR, shmId(name)).state());
    }

    @Test
    void shouldRefuseALinkAtTheSessionPath() throws Exception {
        final String name = newName();
        final Path mng = ShmFiles.management(DIR, shmId(name));
        final Path target = Files.createTempFile("shmq-link-target", ".bin");
        try {
            Files.createSymbolicLink(mng, target);
            assertThrows(SharedMemoryException.class, () -> Session.join(name, DIR, SEGMENT));
            assertEquals(0, Files.size(target), "the link's target was not written");
        } finally {
            Files.deleteIfExists(mng);
            Files.deleteIfExists(target);
        }
    }

    @Test
    void shouldLetTheNextJoinerInAfterCreatorsKilledAtRandom() throws Exception {
        killCreators(Integer.getInteger("shmq.test.creator-kills", 20));
    }

    @Test
    @Tag("stress")
    void shouldLetTheNextJoinerInAfterTwoHundredCreatorKills() throws Exception {
        killCreators(200);
    }

    /**
     * Each round a child JVM creates and removes one session as fast as it can and is killed at a random moment;
     * the next joiner must get in within a second, and after it leaves no file of the session is left.
     */
    private void killCreators(final int rounds) throws Exception {
        final String name = newName();
        final String id = shmId(name);
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        long slowest = 0;
        for (int round = 0; round < rounds; round++) {
            final Process child = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-Xmx64m", "-cp",
                    System.getProperty("java.class.path"), Creator.class.getName(), name, DIR.toString())
                    .redirectErrorStream(true).start();
            try {
                final BufferedReader out = new BufferedReader(new InputStreamReader(
                        child.getInputStream(), StandardCharsets.UTF_8));
                final StringBuilder seen = new StringBuilder();
                String line;
                while (!"LOOPING".equals(line = out.readLine())) {
                    assertTrue(line != null, "child ended before it looped: " + seen);
                    seen.append(line).append('\n');
                }
                Thread.sleep(ThreadLocalRandom.current().nextInt(0, 30));
            } finally {
                child.destroyForcibly();
                assertTrue(child.waitFor(10, TimeUnit.SECONDS));
            }
            final long start = System.nanoTime();
            final Session session = Session.join(name, DIR, SEGMENT);
            slowest = Math.max(slowest, System.nanoTime() - start);
            session.leave(true);
            final List<String> left = files(id);
            assertTrue(left.isEmpty() || left.stream().allMatch(f -> f.contains("_mngnew_")),
                    "round " + round + " left " + left);
            SessionMonitor.cleanupStale(DIR, null);
            assertTrue(files(id).isEmpty(), "round " + round + ": the sweep left " + files(id));
        }
        assertTrue(slowest < 1_000_000_000L, "slowest join after a kill: " + slowest / 1_000_000 + " ms");
    }

    private static List<String> files(final String shmId) throws IOException {
        final List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(DIR, ShmFiles.PREFIX + shmId + "_*")) {
            stream.forEach(p -> names.add(p.getFileName().toString()));
        }
        return names;
    }

    /** Writes what a creator killed after linking (or before, for a private file) leaves: version 0. */
    private static void writeHalfCreated(final Path file, final String name, final long creator) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw"); Arena arena = Arena.ofConfined()) {
            raf.setLength(Session.MNG_BYTES);
            final MemorySegment memory = raf.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, Session.MNG_BYTES,
                    arena);
            FileHeaderLayout.format(memory, ManagementLayout.MAGIC);
            MemorySegment.copy(MemorySegment.ofArray(ShmFiles.nameDigest(Native.uid(), name)), 0, memory,
                    ManagementLayout.NAME_DIGEST_OFFSET, ShmFiles.DIGEST_BYTES);
            ManagementLayout.CREATOR_PID_H.setRelease(memory, 0L, creator);
        }
    }

    /** The child: creates and removes session {@code args[0]} in {@code args[1]} until it is killed. */
    public static final class Creator {
        public static void main(final String[] args) {
            final Path dir = Path.of(args[1]);
            Session.join(args[0], dir, SEGMENT).leave(true);
            System.out.println("LOOPING");
            System.out.flush();
            while (true) {
                Session.join(args[0], dir, SEGMENT).leave(true);
            }
        }
    }
}
