package io.shmq.sidechannel.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shmq.devices.DeviceConfig;
import io.shmq.devices.DeviceRunner;
import io.shmq.sidechannel.HeaderTableSchema;
import io.shmq.sidechannel.HeaderTableWriter;
import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.MetaHeader;
import io.shmq.transport.api.RegionConfig;
import io.shmq.transport.api.SharedMemoryMessage;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.api.Transport;
import io.shmq.transport.api.TransportFactory;
import io.shmq.transport.api.UnmanagedRegion;
import io.shmq.transport.shmem.internal.ShmemFactory;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The side channel between two JVMs: this one holds the payloads, a child JVM runs the consumer device. */
class SideChannelTwoJvmTest {
    private static final long WAIT_S = 60;
    private final TestSession test = new TestSession("sidechannel");
    private final String tag = test.tag;
    private final String session = test.session;
    private final String tables = "shm://tables-" + tag;
    private final String acks = "shm://acks-" + tag;
    private final Transport shmem = test.shmem;

    @AfterEach
    void closeAndCheckFiles() throws Exception {
        test.close();
    }

    @Test
    void shouldResolveEveryPayloadOfTheCacheInPlaceInAnotherJvmAndReleaseAllOfItAfterTheAcknowledgements()
            throws Exception {
        final long rows = 100_000;
        final ShmemFactory observer = keep((ShmemFactory) shmem.createFactory(FactoryConfig.of("observer", session)));
        final long freeAtStart = observer.freeMemory();
        final Map<String, Object> p = new HashMap<>(Map.of("id", "cache", "session", session, "rows", rows,
                "batch-rows", 1000, "window", 4, "min-size", 16, "max-size", 8192, "region-percent", 50,
                "region-size", 32L << 20, "ack-timeout-ms", 30_000));
        p.put("channel-config", new String[] {"name=tables,type=push,method=bind,address=" + tables,
                "name=acks,type=pull,method=bind,address=" + acks});
        final CacheTask cache = new CacheTask(DeviceConfig.fromProperties(p));
        final List<String> cacheLines = new CopyOnWriteArrayList<>();
        final DeviceRunner runner = keep(new DeviceRunner(DeviceConfig.fromProperties(p), "cache", cache,
                cacheLines::add));
        runner.transportAdded(shmem, Map.of());
        runner.open();
        final ChildJvm consumer = keep(new ChildJvm("consumer", List.of("id=consumer", "session=" + session,
                "max-rows=" + rows, "channel-config=name=tables,type=pull,method=connect,address=" + tables,
                "channel-config=name=acks,type=push,method=connect,address=" + acks)));
        assertEquals(0, consumer.await(WAIT_S), () -> String.join("\n", consumer.lines()));
        final Map<String, Long> c = consumer.result();
        assertEquals(rows, c.get("rows"), c::toString);
        assertEquals(rows, c.get("ok"), c::toString);
        assertEquals(0, c.get("bad"), c::toString);
        assertEquals(rows / 1000, c.get("acks"), c::toString);
        final long deadline = System.nanoTime() + WAIT_S * 1_000_000_000L;
        while (!cache.done() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(cache.done(), cacheLines::toString);
        final Map<String, Long> k = cache.counters();
        assertEquals(rows, k.get("published-rows"), k::toString);
        assertEquals(rows / 1000, k.get("acked-tables"), k::toString);
        assertEquals(0, k.get("forced-tables"), k::toString);
        assertTrue(k.get("region-rows") > rows / 4 && k.get("managed-rows") > rows / 4, k::toString);
        assertEquals(rows, k.get("region-rows") + k.get("managed-rows"), k::toString);
        assertEquals(k.get("payload-bytes"), c.get("bytes-in-place"), "every payload byte was read in place");
        assertEquals(k.get("region-rows"), k.get("region-callbacks"), "one callback per region payload: " + k);
        assertEquals(0, k.get("callback-duplicates"), k::toString);
        assertEquals(0, k.get("missing-callbacks"), k::toString);
        runner.close(); // its factory closes: the blocks its threads cached go back to the segment
        assertEquals(freeAtStart, observer.freeMemory(), "free memory back to its start value");
    }

    @Test
    void shouldReadChangesInPlaceRetryAMissingRegionAndCountEveryBadRowAndTableAndGoOn() throws Exception {
        final ShmemFactory producer = keep((ShmemFactory) shmem.createFactory(FactoryConfig.of("producer", session)));
        final Socket out = keep(producer.createSocket(SocketType.PUSH, "tables"));
        out.bind(tables);
        final Socket in = keep(producer.createSocket(SocketType.PULL, "acks"));
        in.bind(acks);
        final int regionId = 3000 + (int) (Long.parseLong(tag.substring(0, 4), 16) % 1000);
        final HeaderTableWriter writer = keep(new HeaderTableWriter(SideChannels.SCHEMA, "test", 16));
        final long totalRows = 5 + 6 + 6 + 7 + 6;
        final ChildJvm consumer = keep(new ChildJvm("consumer", List.of("id=consumer", "session=" + session,
                "max-rows=" + totalRows, "channel-config=name=tables,type=pull,method=connect,address=" + tables,
                "channel-config=name=acks,type=push,method=connect,address=" + acks)));
        final List<Message> managed = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            managed.add(keep(producer.createMessage(64 << 10)));
        }

        // Table 1: three rows of a region that does not exist yet, two managed rows.
        writer.clear();
        for (int i = 0; i < 3; i++) {
            writer.add(MetaHeader.region(64, 64L * i, regionId, i), i, 0);
        }
        addManaged(writer, managed.subList(0, 2), 0);
        publishAndAwaitAck(producer, out, in, writer, 1);

        // Table 2: the region exists now; the same kind of rows resolve.
        final AtomicLong callbacks = new AtomicLong();
        final UnmanagedRegion region = keep(producer.createUnmanagedRegion(1 << 20, b -> callbacks.incrementAndGet(),
                RegionConfig.builder().id(regionId).build()));
        final List<Message> inRegion = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            inRegion.add(keep(producer.createMessage(region, 4096L * i, 4096, 100 + i)));
        }
        writer.clear();
        addManaged(writer, inRegion, 0);
        addManaged(writer, managed, 0);
        final long tableBytes = publishAndAwaitAck(producer, out, in, writer, 2);
        assertTrue(tableBytes < 3 * (64 << 10) / 10, "the table carries headers, not payloads: bytes=" + tableBytes);

        // Table 3: the producer writes new content into the same payloads after publishing; the consumer reads it.
        writer.clear();
        addManaged(writer, inRegion, 1);
        addManaged(writer, managed, 1);
        publishAndAwaitAck(producer, out, in, writer, 3);

        // Table 4: bogus segment, bogus region, out-of-range handles, a stale header, two good rows.
        final Message gone = producer.createMessage(1 << 20);
        final MetaHeader stale = ((SharedMemoryMessage) gone).meta();
        gone.close();
        writer.clear();
        writer.add(MetaHeader.managed(64, 0, 7), 1, 0);
        writer.add(MetaHeader.region(64, 0, regionId + 1, 0), 2, 0);
        writer.add(MetaHeader.managed(64, 1L << 40, 0), 3, 0);
        writer.add(MetaHeader.region(64, 1 << 20, regionId, 0), 4, 0);
        writer.add(stale, 5, 0);
        addManaged(writer, managed.subList(0, 2), 1);
        publishAndAwaitAck(producer, out, in, writer, 4);

        // A table of another schema and bytes that are no table: counted, not acknowledged; then a good table.
        try (HeaderTableWriter other = new HeaderTableWriter(HeaderTableSchema.of("key"), "test", 1)) {
            other.add(MetaHeader.managed(64, 0, 0), 1);
            send(producer, out, other.encode(5));
        }
        send(producer, out, new byte[] {1, 2, 3});
        writer.clear();
        addManaged(writer, inRegion, 1);
        addManaged(writer, managed, 1);
        publishAndAwaitAck(producer, out, in, writer, 6);

        assertEquals(0, consumer.await(WAIT_S), () -> String.join("\n", consumer.lines()));
        final Map<String, Long> c = consumer.result();
        final String lines = String.join("\n", consumer.lines());
        assertEquals(totalRows, c.get("rows"), c + "\n" + lines);
        assertEquals(3 + 1, c.get("unknown-region"), c + "\n" + lines);
        assertEquals(1, c.get("unknown-segment"), c + "\n" + lines);
        assertEquals(2, c.get("out-of-range"), c + "\n" + lines);
        assertEquals(1, c.get("stale"), c + "\n" + lines);
        assertEquals(0, c.get("bad-checksum"), c + "\n" + lines);
        assertEquals(2, c.get("bad-tables"), c + "\n" + lines);
        assertEquals(totalRows - 8, c.get("ok"), c + "\n" + lines);
        assertEquals(5, c.get("acks"), c + "\n" + lines);
        assertTrue(lines.contains("batch=1, row=0, key=0, reason=unknown-region"), lines);
        assertTrue(lines.contains("regionId=" + regionId + " unknown"), lines);
        assertTrue(lines.contains("reason=unknown-segment"), lines);
        assertTrue(lines.contains("reason=stale"), lines);
        assertTrue(lines.contains("bad table:") && lines.contains("missing column: column=checksum, index=8"), lines);
        assertTrue(lines.contains("not an Arrow IPC stream: bytes=3"), lines);
        inRegion.forEach(Message::close);
        region.close();
        assertEquals(3, callbacks.get(), "one callback per region message");
    }

    private static void addManaged(final HeaderTableWriter writer, final List<Message> messages, final int round) {
        for (final Message m : messages) {
            final MetaHeader meta = ((SharedMemoryMessage) m).meta();
            Payloads.fill(m.data(), meta.handle(), round);
            writer.add(meta, meta.handle(), Payloads.checksum(m.data()));
        }
    }

    /** @return the table's size in bytes */
    private static long publishAndAwaitAck(final TransportFactory f, final Socket out, final Socket in,
                                           final HeaderTableWriter writer, final long batch) {
        final byte[] table = writer.encode(batch);
        send(f, out, table);
        try (Message ack = f.createMessage()) {
            assertTrue(in.receive(ack, WAIT_S * 1000) >= 0, "acknowledgement of batch=" + batch);
            assertEquals(new Acks(batch, "consumer"), Acks.decode(ack.data()));
        }
        return table.length;
    }

    private static void send(final TransportFactory f, final Socket out, final byte[] bytes) {
        try (Message m = f.createMessage(MemorySegment.ofArray(bytes))) {
            assertTrue(out.send(m, WAIT_S * 1000) >= 0, "table sent");
        }
    }

    private <T extends AutoCloseable> T keep(final T closeable) {
        return test.keep(closeable);
    }
}
