package io.shmq.sidechannel.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shmq.devices.DeviceConfig;
import io.shmq.devices.DeviceRunner;
import io.shmq.sidechannel.HeaderTable;
import io.shmq.sidechannel.HeaderTableReader;
import io.shmq.transport.api.DataAddressResolver;
import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.api.Transport;
import io.shmq.transport.api.TransportFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The cache and consumer devices in one JVM: timeouts, several consumers. */
class CacheDeviceTest {
    private static final long WAIT_MS = 30_000;
    private final TestSession test = new TestSession("sccache");
    private final String tag = test.tag;
    private final String session = test.session;
    private final Transport shmem = test.shmem;
    private final DataAddressResolver resolver = ServiceLoader.load(DataAddressResolver.class).findFirst()
            .orElseThrow();
    private final List<String> lines = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeAndCheckFiles() throws Exception {
        test.close();
    }

    @Test
    void shouldDropTablesThatNobodyAcknowledgesAfterTheTimeoutCountThemAndStillGetEveryRegionCallback()
            throws Exception {
        final DeviceConfig config = config("cache", Map.of("rows", 3000, "batch-rows", 1000, "ack-timeout-ms", 100),
                "name=tables,type=push,method=bind,address=shm://t-" + tag,
                "name=acks,type=pull,method=bind,address=shm://a-" + tag);
        final CacheTask cache = new CacheTask(config);
        start(config, cache, "cache");
        // A consumer that reads the tables and never acknowledges them.
        final TransportFactory f = keep(shmem.createFactory(FactoryConfig.of("silent", session)));
        final Socket pull = keep(f.createSocket(SocketType.PULL, "tables"));
        pull.connect("shm://t-" + tag);
        int tables = 0;
        try (HeaderTableReader reader = new HeaderTableReader(SideChannels.SCHEMA)) {
            while (tables < 3) {
                try (Message m = f.createMessage()) {
                    if (pull.receive(m, 100) >= 0) {
                        try (HeaderTable t = reader.read(m.data())) {
                            assertEquals(1000, t.rows());
                        }
                        tables++;
                    }
                }
            }
        }
        await(cache::done);
        final Map<String, Long> k = cache.counters();
        assertEquals(3, k.get("forced-tables"), k::toString);
        assertEquals(3000, k.get("forced-rows"), k::toString);
        assertEquals(0, k.get("acked-tables"), k::toString);
        assertEquals(k.get("region-rows"), k.get("region-callbacks"), k::toString);
        assertEquals(0, k.get("missing-callbacks"), k::toString);
        assertTrue(lines.stream().anyMatch(l -> l.contains("forced drop of batch=0 after ack-timeout-ms=100")),
                lines::toString);
    }

    @Test
    void shouldReleaseATableOnlyWhenEveryConsumerAcknowledgedIt() throws Exception {
        final DeviceConfig config = config("cache", Map.of("rows", 20_000, "batch-rows", 500, "consumers", 2,
                "ack-timeout-ms", 30_000), "name=tables,type=push,method=bind,address=shm://t0-" + tag + ";shm://t1-"
                + tag, "name=acks,type=pull,method=bind,address=shm://a-" + tag);
        final CacheTask cache = new CacheTask(config);
        start(config, cache, "cache");
        final List<ConsumerTask> consumers = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            final DeviceConfig cc = config("consumer-" + i, Map.of("max-rows", 20_000),
                    "name=tables,type=pull,method=connect,address=shm://t" + i + "-" + tag,
                    "name=acks,type=push,method=connect,address=shm://a-" + tag);
            final ConsumerTask c = new ConsumerTask(cc, resolver);
            start(cc, c, "consumer");
            consumers.add(c);
        }
        await(() -> cache.done() && consumers.stream().allMatch(ConsumerTask::done));
        final Map<String, Long> k = cache.counters();
        assertEquals(40, k.get("acked-tables"), k::toString);
        assertEquals(80, k.get("acks"), k::toString);
        assertEquals(0, k.get("forced-tables"), k::toString);
        assertEquals(k.get("region-rows"), k.get("region-callbacks"), k::toString);
        for (final ConsumerTask c : consumers) {
            assertEquals(20_000, c.counters().get("ok"), c.counters()::toString);
            assertEquals(k.get("payload-bytes"), c.counters().get("bytes-in-place"));
        }
    }

    private DeviceConfig config(final String id, final Map<String, Object> options, final String... channels) {
        final Map<String, Object> p = new HashMap<>(options);
        p.put("id", id);
        p.put("session", session);
        p.put("channel-config", channels);
        return DeviceConfig.fromProperties(p);
    }

    private void start(final DeviceConfig config, final io.shmq.devices.DeviceTask task, final String type) {
        final DeviceRunner runner = keep(new DeviceRunner(config, type, task, lines::add));
        runner.transportAdded(shmem, Map.of());
        runner.open();
    }

    private static void await(final BooleanSupplier condition) throws InterruptedException {
        final long deadline = System.nanoTime() + WAIT_MS * 1_000_000L;
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(condition.getAsBoolean(), "condition within " + WAIT_MS + " ms");
    }

    private <T extends AutoCloseable> T keep(final T closeable) {
        return test.keep(closeable);
    }
}
