package io.shmq.sidechannel.internal;

import io.shmq.devices.Channel;
import io.shmq.devices.DeviceConfig;
import io.shmq.devices.DeviceContext;
import io.shmq.devices.DeviceRunner;
import io.shmq.devices.DeviceTask;
import io.shmq.sidechannel.HeaderTableWriter;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.MetaHeader;
import io.shmq.transport.api.RegionBlock;
import io.shmq.transport.api.RegionConfig;
import io.shmq.transport.api.SharedMemoryMessage;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.TransportFactory;
import io.shmq.transport.api.UnmanagedRegion;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The cache device: allocates payloads of mixed sizes, some as managed messages and some in an unmanaged region of
 * its own (with a release callback), fills each (key in the first and last 8 bytes) and keeps it alive: it never
 * sends a payload. It publishes each batch's headers as one Arrow table ({@link SideChannels#SCHEMA}: key and
 * CRC-32C per row) on every sub-channel of {@value SideChannels#TABLES} (one per consumer), and closes a batch's
 * messages when {@code consumers} distinct consumers acknowledged it on {@value SideChannels#ACKS}, or when
 * {@code ack-timeout-ms} passed (a forced drop, counted). At most {@code window} batches are in flight; the region
 * is cut into as many slots, and a slot is used again only after every callback of its last batch came.
 *
 * <p>Options: {@code rows} (payloads to publish, 0: no end), {@code batch-rows} (1000), {@code window} (4),
 * {@code min-size} (16), {@code max-size} (4096), {@code region-percent} (50: share of rows in the region),
 * {@code region-size} (bytes, 64 MiB), {@code region-id} (-1: the next free id), {@code consumers} (1),
 * {@code ack-timeout-ms} (10000). With {@code rows > 0} the task is done when every batch is released and every
 * region callback came (or {@code ack-timeout-ms} after the last release).
 */
final class CacheTask implements DeviceTask {
    private final long rows;
    private final int batchRows;
    private final int window;
    private final long minSize;
    private final long maxSize;
    private final int regionPercent;
    private final long regionSize;
    private final int regionId;
    private final int consumers;
    private final long ackTimeoutNanos;
    private final Map<String, LongAdder> counters = new ConcurrentHashMap<>();
    private final Set<Long> outstandingCallbacks = ConcurrentHashMap.newKeySet();
    private final Map<Long, Batch> inFlight = new LinkedHashMap<>();
    private TransportFactory factory;
    private HeaderTableWriter writer;
    private UnmanagedRegion region;
    private AtomicInteger[] slotCallbacks;
    private boolean[] slotInUse;
    private Batch sending;
    private long nextKey;
    private long nextBatch;
    private long lastReleaseNanos;
    private volatile boolean done;

    CacheTask(final DeviceConfig config) {
        rows = config.longOption("rows", 0);
        batchRows = (int) config.longOption("batch-rows", 1000);
        window = (int) config.longOption("window", 4);
        minSize = config.longOption("min-size", 16);
        maxSize = config.longOption("max-size", 4096);
        regionPercent = (int) config.longOption("region-percent", 50);
        regionSize = config.longOption("region-size", 64L << 20);
        regionId = (int) config.longOption("region-id", RegionConfig.AUTO_ID);
        consumers = (int) config.longOption("consumers", 1);
        ackTimeoutNanos = config.longOption("ack-timeout-ms", 10_000) * 1_000_000L;
        if (rows < 0 || batchRows < 1 || window < 1 || minSize < 0 || maxSize < minSize || regionPercent < 0
                || regionPercent > 100 || regionSize < window * 16L || consumers < 1 || ackTimeoutNanos < 0) {
            throw new IllegalArgumentException("bad cache options: rows=" + rows + ", batch-rows=" + batchRows
                    + ", window=" + window + ", min-size=" + minSize + ", max-size=" + maxSize + ", region-percent="
                    + regionPercent + ", region-size=" + regionSize + ", consumers=" + consumers + ", ack-timeout-ms="
                    + ackTimeoutNanos / 1_000_000L + ", id=" + config.id());
        }
        for (final String name : List.of("published-rows", "published-tables", "managed-rows", "region-rows",
                "payload-bytes", "table-bytes", "acks", "acked-tables", "forced-tables", "forced-rows", "late-acks",
                "region-callbacks", "callback-duplicates", "missing-callbacks")) {
            counters.put(name, new LongAdder());
        }
    }

    @Override
    public void init(final DeviceContext context) {
        if (context.channels(SideChannels.TABLES).isEmpty() || context.channels(SideChannels.ACKS).isEmpty()) {
            throw new IllegalArgumentException("the cache needs channels: channels=" + SideChannels.TABLES + ","
                    + SideChannels.ACKS + ", id=" + context.config().id());
        }
        // After an outage the old factory is gone, and the messages and the region with it.
        inFlight.clear();
        sending = null;
        outstandingCallbacks.clear();
        factory = SideChannels.shmemFactory(context);
        if (writer == null) {
            writer = new HeaderTableWriter(SideChannels.SCHEMA, context.config().id(), batchRows);
        }
        region = factory.createUnmanagedRegion(regionSize, this::released, RegionConfig.builder().id(regionId)
                .linger(Duration.ofMillis(Math.max(1000, ackTimeoutNanos / 1_000_000L))).build());
        slotCallbacks = new AtomicInteger[window];
        slotInUse = new boolean[window];
        for (int i = 0; i < window; i++) {
            slotCallbacks[i] = new AtomicInteger();
        }
        context.log("cache: regionId=" + region.id() + " regionSize=" + regionSize + " window=" + window
                + " batch-rows=" + batchRows + " sizes=" + minSize + ".." + maxSize + " region-percent="
                + regionPercent + " consumers=" + consumers);
    }

    private void released(final RegionBlock block) {
        counters.get("region-callbacks").increment();
        if (!outstandingCallbacks.remove(block.hint())) {
            counters.get("callback-duplicates").increment();
        }
        final AtomicInteger[] slots = slotCallbacks;
        slots[(int) Math.min(slots.length - 1, block.offset() / (regionSize / slots.length))].decrementAndGet();
    }

    @Override
    public boolean conditionalRun(final DeviceContext context) {
        final boolean acked = drainAcks(context, 0);
        expire(context);
        if (rows > 0 && nextKey >= rows && inFlight.isEmpty() && sending == null) {
            if (outstandingCallbacks.isEmpty() || System.nanoTime() - lastReleaseNanos > ackTimeoutNanos) {
                counters.get("missing-callbacks").add(outstandingCallbacks.size());
                done = true;
                context.log("cache done: " + summary());
                return false;
            }
        }
        if (sending == null && (rows == 0 || nextKey < rows) && inFlight.size() < window) {
            final int slot = freeSlot();
            if (slot >= 0) {
                sending = build(slot);
            }
        }
        if (sending != null) {
            send(context);
        } else if (!acked) {
            drainAcks(context, 1);
        }
        return true;
    }

    private int freeSlot() {
        for (int i = 0; i < window; i++) {
            if (!slotInUse[i] && slotCallbacks[i].get() == 0) {
                return i;
            }
        }
        return -1;
    }

    private Batch build(final int slot) {
        final long id = nextBatch++;
        final int n = (int) (rows == 0 ? batchRows : Math.min(batchRows, rows - nextKey));
        final List<Message> messages = new ArrayList<>(n);
        final long slotBytes = regionSize / window;
        long regionCursor = slot * slotBytes;
        final long slotEnd = regionCursor + slotBytes;
        int regionRows = 0;
        writer.clear();
        for (int i = 0; i < n; i++) {
            final long key = nextKey++;
            final long size = Payloads.size(key, minSize, maxSize);
            Message m = null;
            if (Payloads.inRegion(key, regionPercent) && regionCursor + size <= slotEnd) {
                m = factory.createMessage(region, regionCursor, size, key);
                regionCursor = (regionCursor + size + 15) & ~15L;
                regionRows++;
                outstandingCallbacks.add(key);
                slotCallbacks[slot].incrementAndGet();
            } else {
                m = factory.createMessage(size);
            }
            messages.add(m);
            final MemorySegment data = m.data();
            Payloads.fill(data, key, 0);
            final MetaHeader meta = ((SharedMemoryMessage) m).meta();
            writer.add(meta, key, Payloads.checksum(data));
            counters.get("payload-bytes").add(size);
        }
        counters.get("region-rows").add(regionRows);
        counters.get("managed-rows").add(n - regionRows);
        slotInUse[slot] = true;
        return new Batch(id, slot, messages, writer.encode(id));
    }

    private void send(final DeviceContext context) {
        final List<Channel> channels = context.channels(SideChannels.TABLES);
        while (sending.sent < channels.size()) {
            final Channel c = channels.get(sending.sent);
            try (Message table = c.newMessage(MemorySegment.ofArray(sending.table))) {
                final long result = c.send(table, DeviceRunner.TRANSFER_TIMEOUT_MS);
                if (result == Socket.ERROR) {
                    throw new IllegalStateException("send failed: channel=" + c.spec().key() + ", result=" + result);
                }
                if (result < 0) {
                    return; // no consumer attached yet, or back-pressure: again on the next round
                }
            }
            sending.sent++;
            counters.get("table-bytes").add(sending.table.length);
        }
        sending.publishedNanos = System.nanoTime();
        inFlight.put(sending.id, sending);
        counters.get("published-tables").increment();
        counters.get("published-rows").add(sending.messages.size());
        sending = null;
    }

    /** @return whether an acknowledgement came */
    private boolean drainAcks(final DeviceContext context, final long timeoutMs) {
        boolean any = false;
        for (final Channel c : context.channels(SideChannels.ACKS)) {
            while (true) {
                try (Message m = c.factory().createMessage()) {
                    if (c.receive(m, any ? 0 : timeoutMs) < 0) {
                        break;
                    }
                    any = true;
                    counters.get("acks").increment();
                    final Acks ack = Acks.decode(m.data());
                    final Batch b = inFlight.get(ack.batchId());
                    if (b == null) {
                        counters.get("late-acks").increment();
                    } else if (b.ackedBy.add(ack.consumer()) && b.ackedBy.size() >= consumers) {
                        release(b);
                        counters.get("acked-tables").increment();
                    }
                }
            }
        }
        return any;
    }

    private void expire(final DeviceContext context) {
        final long now = System.nanoTime();
        for (final Batch b : new ArrayList<>(inFlight.values())) {
            if (now - b.publishedNanos > ackTimeoutNanos) {
                context.log("cache: forced drop of batch=" + b.id + " after ack-timeout-ms="
                        + ackTimeoutNanos / 1_000_000L + ", acked by " + b.ackedBy + " of consumers=" + consumers);
                release(b);
                counters.get("forced-tables").increment();
                counters.get("forced-rows").add(b.messages.size());
            }
        }
    }

    private void release(final Batch b) {
        inFlight.remove(b.id);
        b.messages.forEach(Message::close);
        slotInUse[b.slot] = false;
        lastReleaseNanos = System.nanoTime();
    }

    @Override
    public void reset(final DeviceContext context) {
        if (sending != null) {
            sending.messages.forEach(Message::close);
            sending = null;
        }
        new ArrayList<>(inFlight.values()).forEach(this::release);
        if (region != null) {
            region.close();
            region = null;
        }
        if (writer != null) {
            writer.close();
            writer = null;
        }
    }

    /** @return whether the run is complete ({@code rows > 0} only) */
    boolean done() {
        return done;
    }

    /** @return the counters as one line */
    String summary() {
        return new java.util.TreeMap<>(counters()).toString();
    }

    @Override
    public Map<String, Long> counters() {
        final Map<String, Long> m = new LinkedHashMap<>();
        counters.forEach((k, v) -> m.put(k, v.sum()));
        m.put("outstanding-callbacks", (long) outstandingCallbacks.size());
        return m;
    }

    /** One published table and the messages it keeps alive. */
    private static final class Batch {
        private final long id;
        private final int slot;
        private final List<Message> messages;
        private final byte[] table;
        private final Set<String> ackedBy = new HashSet<>();
        private int sent;
        private long publishedNanos;

        Batch(final long id, final int slot, final List<Message> messages, final byte[] table) {
            this.id = id;
            this.slot = slot;
            this.messages = messages;
            this.table = table;
        }
    }
}
