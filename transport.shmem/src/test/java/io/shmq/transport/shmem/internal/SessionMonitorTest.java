package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.SharedMemoryMessage;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.shmem.internal.os.ShmFiles;
import io.shmq.transport.shmem.internal.session.ManagementLayout;
import io.shmq.transport.shmem.internal.session.Session;
import io.shmq.transport.shmem.internal.session.SessionMonitor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Listing and removal of sessions, by command and by the factory's sweep. Each test works in its own directory
 * under /dev/shm (so sessions of concurrent test runs never show up here) and removes it afterwards, pass or fail.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SessionMonitorTest {
    private Path dir;
    private final List<ShmemFactory> factories = new CopyOnWriteArrayList<>();
    private final List<ChildJvm> children = new ArrayList<>();

    @BeforeEach
    void createDirectory() throws IOException {
        dir = Files.createDirectory(ShmSession.DIRECTORY.resolve("monitortest-" + UUID.randomUUID()));
    }

    @AfterEach
    void removeEverything() throws IOException {
        for (int i = factories.size() - 1; i >= 0; i--) {
            try {
                factories.get(i).close();
            } catch (RuntimeException ignored) {
                // keep cleaning up
            }
        }
        children.forEach(child -> child.process().destroyForcibly());
        try (Stream<Path> files = Files.walk(dir)) {
            for (final Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        }
    }

    private static String newSession() {
        return "m" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    }

    private ShmemFactory factory(final String session, final String... options) {
        final FactoryConfig.Builder builder = FactoryConfig.builder("parent").session(session)
                .segmentSize(ShmSession.SEGMENT_SIZE).option(ShmemFactory.OPTION_DIRECTORY, dir.toString());
        for (int i = 0; i < options.length; i += 2) {
            builder.option(options[i], options[i + 1]);
        }
        final ShmemFactory factory = new ShmemFactory(builder.build());
        factories.add(factory);
        return factory;
    }

    /** Starts a child that creates a session with a message and a region, then kills it with SIGKILL. */
    private long killedChildSession(final String session) throws Exception {
        final ChildJvm child = new ChildJvm(session, ShmSession.SEGMENT_SIZE, dir);
        children.add(child);
        child.call("alloc 1000 1", "META", 30);
        child.call("region 65536 -1", "REGION", 30);
        assertTrue(child.process().destroyForcibly().waitFor(30, TimeUnit.SECONDS), "child did not die");
        return child.pid();
    }

    private List<String> files() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private List<String> files(final String shmId) throws IOException {
        return files().stream().filter(name -> name.startsWith("shmq_" + shmId + "_")).toList();
    }

    /** Runs the command line; returns exit code, stdout and stderr. */
    private record Run(int code, String out, String err) {
    }

    private Run run(final String... args) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int code = SessionMonitor.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void shouldSaySoWhenThereIsNoSession() throws Exception {
        final Path empty = Files.createTempDirectory(dir, "empty-");
        try {
            final Run list = run("list", "--dir", empty.toString());
            assertEquals(0, list.code(), list.err());
            assertEquals("", list.out(), "nothing on stdout for scripts");
            assertEquals("no shmq sessions in " + empty + System.lineSeparator(), list.err());
            final Run cleanup = run("cleanup", "--stale", "--dir", empty.toString());
            assertEquals(0, cleanup.code(), cleanup.err());
            assertEquals("", cleanup.out());
            assertEquals("no stale shmq sessions in " + empty + System.lineSeparator(), cleanup.err());
        } finally {
            Files.delete(empty);
        }
    }

    @Test
    void shouldListKilledChildsSessionAsStaleAndCleanupEveryFileOfIt() throws Exception {
        final String session = newSession();
        final String shmId = ShmSession.shmId(session);
        final long pid = killedChildSession(session);
        assertEquals(5, files(shmId).size(), "mng, segment, ledger, region and ring stay after kill -9: " + files());

        final List<SessionMonitor.SessionInfo> sessions = SessionMonitor.list(dir);
        assertEquals(1, sessions.size(), sessions.toString());
        final SessionMonitor.SessionInfo info = sessions.getFirst();
        assertEquals(shmId, info.shmId());
        assertEquals(SessionMonitor.State.STALE, info.state());
        assertEquals(pid, info.creatorPid());
        assertEquals(List.of(), info.livePids());
        assertEquals(1, info.deadSlots());
        assertEquals(1, info.regions());
        assertEquals(5, info.files());
        final Run list = run("list", "--dir", dir.toString());
        assertEquals(0, list.code(), list.err());
        assertTrue(list.out().startsWith(shmId + " stale creator=" + pid + " live=0 dead=1"), list.out());

        final Run cleanup = run("cleanup", "--dir", dir.toString(), shmId);
        assertEquals(0, cleanup.code(), cleanup.err());
        assertTrue(cleanup.out().contains("5 files"), cleanup.out());
        assertEquals(List.of(), files(), "the directory is as before");
        assertFalse(Files.exists(ShmFiles.management(ShmSession.DIRECTORY, shmId)));
        assertNull(SessionMonitor.inspect(dir, shmId));
    }

    @Test
    void shouldCountSocketEndpointFilesWithTheirSession() throws Exception {
        final String session = newSession();
        final ShmemFactory factory = factory(session);
        try (Socket pull = factory.createSocket(SocketType.PULL, "pull")) {
            pull.bind("ipc://monitored");
            final List<SessionMonitor.SessionInfo> sessions = SessionMonitor.list(dir);
            assertEquals(1, sessions.size(), "the endpoint is no session of its own: " + sessions);
            assertEquals(SessionMonitor.State.LIVE, sessions.getFirst().state());
            assertEquals(4, sessions.getFirst().files(), "management, segment 0, the ledger and the endpoint: "
                    + files());
        }
    }

    @Test
    void shouldRefuseLiveSessionWithoutForceAndDeleteNothing() throws Exception {
        final String session = newSession();
        final ShmemFactory live = factory(session);
        final String shmId = live.shmId();
        final Message message = live.createMessage(100);
        final List<String> before = files();

        final SessionMonitor.SessionInfo info = SessionMonitor.inspect(dir, shmId);
        assertEquals(SessionMonitor.State.LIVE, info.state());
        assertEquals(List.of(ProcessHandle.current().pid()), info.livePids());
        final Run refused = run("cleanup", "--dir", dir.toString(), shmId);
        assertEquals(1, refused.code());
        assertTrue(refused.err().contains("refused") && refused.err().contains("[" + ProcessHandle.current().pid()
                + "]"), refused.err());
        assertEquals(0, run("cleanup", "--stale", "--dir", dir.toString()).code(),
                "nothing stale to remove is not a failure");
        assertEquals(before, files());
        assertEquals(100, live.resolve(((SharedMemoryMessage) message).meta()).byteSize());

        // --force removes it; the old factory's close must not delete the files of the session that follows.
        final Run forced = run("cleanup", "--force", "--dir", dir.toString(), shmId);
        assertEquals(0, forced.code(), forced.err());
        assertEquals(List.of(), files());
        final ShmemFactory successor = factory(session);
        final List<String> successorFiles = files();
        assertFalse(successorFiles.isEmpty());
        message.close();
        live.close();
        assertEquals(successorFiles, files());
        successor.close();
        assertEquals(List.of(), files());
    }

    @Test
    void shouldSweepStaleSessionOnFactoryCreationAndLeaveLiveAndIdleOnesAlone() throws Exception {
        final ShmemFactory live = factory(newSession(), ShmemFactory.OPTION_SWEEP, "false");
        final String idleSession = newSession();
        final ShmemFactory kept = factory(idleSession, ShmemFactory.OPTION_CLEANUP, "false");
        final String idleShmId = kept.shmId();
        kept.close();
        final String staleSession = newSession();
        killedChildSession(staleSession);
        final String stale = ShmSession.shmId(staleSession);
        assertEquals(SessionMonitor.State.IDLE, SessionMonitor.inspect(dir, idleShmId).state());
        assertEquals(SessionMonitor.State.STALE, SessionMonitor.inspect(dir, stale).state());
        final List<String> liveFiles = files(live.shmId());
        final List<String> idleFiles = files(idleShmId);

        final ShmemFactory sweeper = factory(newSession());
        assertEquals(List.of(), files(stale), "the stale session is swept");
        assertEquals(liveFiles, files(live.shmId()), "the live session stays");
        assertEquals(idleFiles, files(idleShmId), "the idle session stays");
        assertEquals(SessionMonitor.State.LIVE, SessionMonitor.inspect(dir, sweeper.shmId()).state());
        assertEquals(SessionMonitor.State.LIVE, SessionMonitor.inspect(dir, live.shmId()).state());

        final Run idleCleanup = run("cleanup", "--dir", dir.toString(), idleShmId);
        assertEquals(0, idleCleanup.code(), idleCleanup.err());
        assertEquals(List.of(), files(idleShmId));
    }

    @Test
    void shouldReportAndSkipGarbageWithoutDeletingIt() throws Exception {
        final String truncated = "shmq_0badf00d_mng";
        Files.write(dir.resolve(truncated), new byte[100]);
        final ByteBuffer header = ByteBuffer.allocate((int) Session.MNG_BYTES).order(ByteOrder.nativeOrder());
        header.putLong(0, 0x1234_5678_9ABC_DEF0L).putInt(8, ManagementLayout.VERSION).putLong(16, 1L);
        final String wrongMagic = "shmq_0badcafe_mng";
        try (RandomAccessFile file = new RandomAccessFile(dir.resolve(wrongMagic).toFile(), "rw")) {
            file.write(header.array());
        }
        final String orphan = "shmq_0bad0000_m_0";
        Files.write(dir.resolve(orphan), new byte[10]);
        final String unrecognised = "shmq_not_a_session";
        Files.write(dir.resolve(unrecognised), new byte[10]);
        final List<String> garbage = files();
        assertEquals(4, garbage.size());

        final List<SessionMonitor.SessionInfo> sessions = SessionMonitor.list(dir);
        assertEquals(4, sessions.size(), sessions.toString());
        for (final SessionMonitor.SessionInfo info : sessions) {
            assertEquals(SessionMonitor.State.INVALID, info.state(), info.toString());
        }
        final Run list = run("list", "--dir", dir.toString());
        assertEquals(0, list.code(), list.err());
        assertTrue(list.out().contains("0badf00d invalid") && list.out().contains("size=100"), list.out());
        assertTrue(list.out().contains("0badcafe invalid") && list.out().contains("magic=123456789abcdef0"),
                list.out());
        assertTrue(list.out().contains("without a management file"), list.out());
        assertEquals(0, run("cleanup", "--stale", "--dir", dir.toString()).code());
        for (final String shmId : List.of("0badf00d", "0badcafe", "0bad0000")) {
            final Run refused = run("cleanup", "--force", "--dir", dir.toString(), shmId);
            assertEquals(1, refused.code(), shmId);
            assertTrue(refused.err().contains("left alone"), refused.err());
        }
        final ShmemFactory sweeper = factory(newSession());
        final List<String> expected = new ArrayList<>(garbage);
        expected.addAll(files(sweeper.shmId()));
        assertEquals(expected.stream().sorted().toList(), files(), "garbage is never deleted");
    }

    /** Writes a management file with magic and creator pid but no version, as a creator leaves it half-way. */
    private void halfCreated(final String shmId, final long creatorPid) throws IOException {
        final ByteBuffer header = ByteBuffer.allocate((int) Session.MNG_BYTES).order(ByteOrder.nativeOrder());
        header.putLong((int) ManagementLayout.LAYOUT.byteOffset(groupElement("magic")), ManagementLayout.MAGIC);
        header.putLong((int) ManagementLayout.LAYOUT.byteOffset(groupElement("creatorPid")), creatorPid);
        Files.write(ShmFiles.management(dir, shmId), header.array());
    }

    @Test
    void shouldSweepSessionHalfCreatedByDeadCreatorButNotOneBeingCreated() throws Exception {
        final Process gone = new ProcessBuilder("true").start();
        assertTrue(gone.waitFor(30, TimeUnit.SECONDS));
        halfCreated("0dead000", gone.pid());
        halfCreated("0b0c0000", ProcessHandle.current().pid());
        assertEquals(SessionMonitor.State.STALE, SessionMonitor.inspect(dir, "0dead000").state());
        assertEquals(SessionMonitor.State.BUSY, SessionMonitor.inspect(dir, "0b0c0000").state());

        final ShmemFactory sweeper = factory(newSession());
        assertNull(SessionMonitor.inspect(dir, "0dead000"), "half-created by a dead process: swept");
        assertEquals(SessionMonitor.State.BUSY, SessionMonitor.inspect(dir, "0b0c0000").state(),
                "being created by a live process: left");
        assertEquals(1, run("cleanup", "--force", "--dir", dir.toString(), "0b0c0000").code());
        assertTrue(Files.exists(ShmFiles.management(dir, "0b0c0000")));
        assertEquals(SessionMonitor.State.LIVE, SessionMonitor.inspect(dir, sweeper.shmId()).state());
    }

    @Test
    void shouldKeepOneSessionWhenJoinersOfAStaleSessionRaceWithSweepers() throws Exception {
        final String staleSession = newSession();
        killedChildSession(staleSession);
        final String staleShmId = ShmSession.shmId(staleSession);
        final List<String> names = List.of(staleSession, newSession(), staleSession, newSession(), staleSession);
        final List<Future<ShmemFactory>> futures = new ArrayList<>();
        try (var pool = Executors.newFixedThreadPool(names.size())) {
            final CountDownLatch start = new CountDownLatch(1);
            for (final String name : names) {
                futures.add(pool.submit(() -> {
                    start.await();
                    return factory(name);
                }));
            }
            start.countDown();
        }
        final List<ShmemFactory> joiners = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            final ShmemFactory factory = futures.get(i).get(60, TimeUnit.SECONDS);
            if (names.get(i).equals(staleSession)) {
                joiners.add(factory);
            }
        }
        // Every joiner is in the same, live session: what one allocates, the others resolve.
        final SessionMonitor.SessionInfo info = SessionMonitor.inspect(dir, staleShmId);
        assertEquals(SessionMonitor.State.LIVE, info.state(), info.toString());
        try (Message message = joiners.getFirst().createMessage(123)) {
            for (final ShmemFactory other : joiners) {
                assertEquals(123, other.resolve(((SharedMemoryMessage) message).meta()).byteSize());
            }
        }
        for (final ShmemFactory factory : factories) {
            factory.close();
        }
        assertEquals(List.of(), files(), "the last factories removed everything, the stale files included");
    }

    @Test
    void shouldRejectInvalidSweepOption() {
        final IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> factory(newSession(), ShmemFactory.OPTION_SWEEP, "yes"));
        assertTrue(e.getMessage().contains(ShmemFactory.OPTION_SWEEP), e.getMessage());
    }

    @Test
    void shouldAnswerUsageErrorsWithExitCodeTwo() {
        assertEquals(2, run().code());
        assertEquals(2, run("frobnicate").code());
        assertEquals(2, run("list", "--dir").code());
        assertEquals(2, run("cleanup", "--dir", dir.toString()).code());
        assertEquals(2, run("cleanup", "--stale", "--dir", dir.toString(), "0badf00d").code());
        assertEquals(2, run("cleanup", "--dir", dir.toString(), "XYZ").code());
        assertEquals(2, run("list", "--dir", dir.resolve("missing").toString()).code());
        assertEquals(1, run("cleanup", "--dir", dir.toString(), "0badf00d").code(), "no such session");
        final Run help = run("--help");
        assertEquals(0, help.code());
        assertTrue(help.out().startsWith("usage:"), help.out());
    }
}
