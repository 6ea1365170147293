package io.shmq.devices.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shmq.devices.ChannelSyntax;
import io.shmq.devices.DeviceConfig;
import io.shmq.devices.DeviceContext;
import io.shmq.devices.DeviceRunner;
import io.shmq.devices.DeviceState;
import io.shmq.devices.DeviceTask;
import io.shmq.transport.api.Transport;
import io.shmq.transport.api.TransportKind;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The runner with the example tasks on the real shared-memory transport (found with ServiceLoader). */
class DeviceRunnerTest {
    /** The shared-memory directory the providers default to: $SHMQ_DIRECTORY (a CI run's own), else /dev/shm. */
    static final Path SHM_DIR = Path.of(System.getenv().getOrDefault("SHMQ_DIRECTORY", "").isBlank() ? "/dev/shm"
            : System.getenv("SHMQ_DIRECTORY"));
    private static final long WAIT_MS = 30_000;
    private final String tag = UUID.randomUUID().toString().substring(0, 8);
    private final String session = "devtest-" + tag;
    private final List<DeviceRunner> runners = new ArrayList<>();
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Transport shmem = ServiceLoader.load(Transport.class).stream().map(ServiceLoader.Provider::get)
            .filter(t -> t.kind() == TransportKind.SHMEM).findFirst().orElseThrow();

    @AfterEach
    void closeRunnersAndCheckFiles() throws Exception {
        runners.forEach(DeviceRunner::close);
        final long files = sessionFiles(shmId(session));
        deleteSessionFiles(shmId(session));
        assertEquals(0, files, "files of session " + session + " left");
    }

    @Test
    void shouldCarryEveryMessageFromSamplerThroughProcessorToSinkAndCheckIt() throws Exception {
        final long count = 20_000;
        final Map<String, String> options = Map.of("msg-size", "256", "max-iterations", String.valueOf(count));
        final DeviceRunner sampler = runner("sampler", "name=data1,type=push,method=bind,address=shm://a-" + tag,
                options, SamplerTask::new);
        final DeviceRunner processor = runner("processor", "name=data1,type=pull,method=connect,address=shm://a-"
                + tag + " name=data2,type=push,method=bind,address=shm://b-" + tag, options, ProcessorTask::new);
        final SinkTask sink = new SinkTask(config("sink", "name=data2,type=pull,method=connect,address=shm://b-"
                + tag, options));
        final DeviceRunner sinkRunner = start(new DeviceRunner(config("sink", "name=data2,type=pull,"
                + "method=connect,address=shm://b-" + tag, options), "sink", sink, lines::add));
        waitFor(() -> sink.counters().get("received"), count);
        assertEquals(0, sink.counters().get("errors"));
        assertEquals(count, sampler.status().counters().get("sent"));
        assertEquals(count, processor.status().counters().get("processed"));
        assertTrue(sinkRunner.stateMachine().await(DeviceState.READY, WAIT_MS, TimeUnit.MILLISECONDS));
        assertTrue(lines.stream().anyMatch(l -> l.contains("sink: received=" + count)), lines::toString);
    }

    @Test
    void shouldCloseItsChannelsOnAnOutageCountItAndResumeWhenTheTransportIsBack() throws Exception {
        final Map<String, String> options = Map.of("msg-size", "64", "msg-rate", "20000");
        final DeviceRunner sampler = runner("sampler", "name=data1,type=push,method=bind,address=shm://o-" + tag,
                options, SamplerTask::new);
        final DeviceRunner sink = runner("sink", "name=data2,type=pull,method=connect,address=shm://o-" + tag,
                options, SinkTask::new);
        final LongSupplier received = () -> sink.status().counters().get("received");
        waitFor(received, 1000);
        for (int outage = 1; outage <= 3; outage++) {
            sampler.transportRemoved(shmem);
            sink.transportRemoved(shmem);
            assertEquals(DeviceState.IDLE, sampler.status().state());
            assertEquals(DeviceState.IDLE, sink.status().state());
            assertEquals(0, sessionFiles(shmId(session)), "files while no device holds a factory");
            final long before = received.getAsLong();
            sampler.transportAdded(shmem, Map.of());
            sink.transportAdded(shmem, Map.of());
            waitFor(received, before + 1000);
            assertEquals(outage, sampler.status().outages());
            assertEquals(outage, sink.status().outages());
        }
        assertEquals(0, sink.status().counters().get("errors"));
        assertEquals(0, sink.status().unexpectedErrors(), () -> sink.status().toString());
        assertEquals(0, sampler.status().unexpectedErrors(), () -> sampler.status().toString());
    }

    @Test
    void shouldStopStartAndResetOnCommand() throws Exception {
        final Map<String, String> options = Map.of("msg-size", "64", "msg-rate", "5000");
        runner("sampler", "name=data1,type=push,method=bind,address=shm://c-" + tag, options, SamplerTask::new);
        final DeviceRunner sink = runner("sink", "name=data2,type=pull,method=connect,address=shm://c-" + tag,
                options, SinkTask::new);
        final LongSupplier received = () -> sink.status().counters().get("received");
        waitFor(received, 100);
        sink.stop();
        assertTrue(sink.stateMachine().await(DeviceState.READY, WAIT_MS, TimeUnit.MILLISECONDS));
        sink.start();
        assertTrue(sink.stateMachine().await(DeviceState.RUNNING, WAIT_MS, TimeUnit.MILLISECONDS));
        waitFor(received, received.getAsLong() + 100);
        sink.reset();
        assertTrue(sink.stateMachine().await(DeviceState.IDLE, WAIT_MS, TimeUnit.MILLISECONDS));
        assertEquals(0, received.getAsLong(), "the sink's reset hook clears its counts");
        sink.start();
        waitFor(received, 100);
    }

    @Test
    void shouldGoToErrorWhenAHookFailsAndLeaveItOnReset() throws Exception {
        final DeviceTask failing = new DeviceTask() {
            @Override
            public void init(final DeviceContext context) {
                throw new IllegalStateException("init failed on purpose");
            }
        };
        final DeviceRunner r = start(new DeviceRunner(config("failing", "name=x,type=pull,method=bind,address="
                + "shm://e-" + tag, Map.of()), "test", failing, lines::add));
        assertTrue(r.stateMachine().await(DeviceState.ERROR, WAIT_MS, TimeUnit.MILLISECONDS));
        assertEquals(1, r.status().unexpectedErrors());
        assertTrue(r.status().lastError().contains("init failed on purpose"), r.status().lastError());
        r.reset();
        assertTrue(r.stateMachine().await(DeviceState.IDLE, WAIT_MS, TimeUnit.MILLISECONDS));
    }

    private DeviceRunner runner(final String type, final String channels, final Map<String, String> options,
                                final java.util.function.Function<DeviceConfig, DeviceTask> task) {
        final DeviceConfig config = config(type, channels, options);
        return start(new DeviceRunner(config, type, task.apply(config), lines::add));
    }

    private DeviceRunner start(final DeviceRunner runner) {
        runners.add(runner);
        runner.transportAdded(shmem, Map.of());
        runner.open();
        return runner;
    }

    private DeviceConfig config(final String id, final String channels, final Map<String, String> options) {
        return new DeviceConfig(id + "-" + tag, session, TransportKind.SHMEM,
                ChannelSyntax.parse(List.of(channels.split(" ")), TransportKind.SHMEM), options);
    }

    private static void waitFor(final LongSupplier value, final long atLeast) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (value.getAsLong() < atLeast) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("waited " + WAIT_MS + " ms for at least " + atLeast + ", got "
                        + value.getAsLong());
            }
            Thread.sleep(10);
        }
    }

    /** shmId = first 4 bytes of SHA-256(uid + session) as hex (transport.shmem/README.md). */
    static String shmId(final String session) throws Exception {
        final String uid = Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(line -> line.startsWith("Uid:")).findFirst().orElseThrow().split("\\s+")[1];
        final byte[] digest = MessageDigest.getInstance("SHA-256")
                .digest((uid + session).getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(digest, 0, 4);
    }

    static long sessionFiles(final String shmId) throws Exception {
        try (Stream<Path> files = Files.list(SHM_DIR)) {
            return files.filter(p -> p.getFileName().toString().startsWith("shmq_" + shmId + "_")).count();
        }
    }

    /** Removes this test's session files only (after a failure), never another session's. */
    static void deleteSessionFiles(final String shmId) throws Exception {
        try (Stream<Path> files = Files.list(SHM_DIR)) {
            for (final Path p : files.filter(f -> f.getFileName().toString().startsWith("shmq_" + shmId + "_"))
                    .toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
