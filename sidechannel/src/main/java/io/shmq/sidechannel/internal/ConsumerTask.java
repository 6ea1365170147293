package io.shmq.sidechannel.internal;

import io.shmq.devices.Channel;
import io.shmq.devices.DeviceConfig;
import io.shmq.devices.DeviceContext;
import io.shmq.devices.DeviceRunner;
import io.shmq.devices.DeviceTask;
import io.shmq.sidechannel.HeaderTable;
import io.shmq.sidechannel.HeaderTableException;
import io.shmq.sidechannel.HeaderTableReader;
import io.shmq.transport.api.DataAddressResolver;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.MetaHeader;
import io.shmq.transport.api.SharedMemoryException;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.TransportClosedException;
import io.shmq.transport.api.TransportFactory;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The consumer device: receives header tables on {@value SideChannels#TABLES}, resolves every row in place through
 * the {@link DataAddressResolver} (nothing is copied: the CRC-32C is computed over the shared memory itself),
 * checks it against the checksum column and acknowledges the batch on {@value SideChannels#ACKS}. A row that fails
 * is counted under its {@link BadRow} reason and logged (the first {@value #LOGGED_PER_TABLE} of a table) and the
 * consumer goes on with the next row; a table that does not match the schema is counted ({@code bad-tables}),
 * logged with the codec's message and not acknowledged (the cache drops it on its timeout). Nothing is remembered
 * between tables, so a region that did not exist for one table resolves in the next.
 *
 * <p>Options: {@code max-rows} (rows to read, then report and be done; 0: no end), {@code consumer-id} (the id in
 * acknowledgements; default the device id). Every second it logs rows/s and the MB/s read in place.
 */
final class ConsumerTask implements DeviceTask {
    /** Bad rows logged per table; the rest are only counted. */
    static final int LOGGED_PER_TABLE = 8;

    private final DataAddressResolver resolver;
    private final long maxRows;
    private final String consumerId;
    private final Map<String, LongAdder> counters = new ConcurrentHashMap<>();
    private final LongAdder rows = new LongAdder();
    private final LongAdder okRows = new LongAdder();
    private final LongAdder bytesInPlace = new LongAdder();
    private final LongAdder badRows = new LongAdder();
    private HeaderTableReader reader;
    private TransportFactory factory;
    private long firstNanos;
    private volatile long lastNanos;
    private long lineNanos;
    private long lineRows;
    private long lineBytes;
    private volatile boolean done;

    ConsumerTask(final DeviceConfig config, final DataAddressResolver resolver) {
        this.resolver = Objects.requireNonNull(resolver, "resolver");
        this.maxRows = config.longOption("max-rows", 0);
        this.consumerId = config.options().getOrDefault("consumer-id", config.id());
        if (maxRows < 0) {
            throw new IllegalArgumentException("max-rows must not be negative: max-rows=" + maxRows + ", id="
                    + config.id());
        }
        for (final String name : List.of("tables", "bad-tables", "acks")) {
            counters.put(name, new LongAdder());
        }
        for (final BadRow reason : BadRow.values()) {
            counters.put(reason.counter(), new LongAdder());
        }
    }

    @Override
    public void init(final DeviceContext context) {
        factory = SideChannels.shmemFactory(context);
        if (reader == null) {
            reader = new HeaderTableReader(SideChannels.SCHEMA);
        }
        context.onData(SideChannels.TABLES, false);
    }

    @Override
    public boolean handleData(final DeviceContext context, final Channel channel, final List<Message> parts) {
        final long now = System.nanoTime();
        if (firstNanos == 0) {
            firstNanos = now;
            lineNanos = now;
        }
        final Message message = parts.get(0);
        final long batch;
        try (HeaderTable table = reader.read(message.data())) {
            batch = table.batchId();
            read(context, table);
        } catch (final HeaderTableException e) {
            counters.get("bad-tables").increment();
            context.log("bad table: from=" + channel.spec().key() + ", bytes=" + message.size() + ": "
                    + e.getMessage());
            return true;
        }
        counters.get("tables").increment();
        acknowledge(context, batch);
        lastNanos = System.nanoTime();
        if (lastNanos - lineNanos >= 1_000_000_000L) {
            context.log(rateLine(lastNanos));
        }
        if (maxRows > 0 && rows.sum() >= maxRows) {
            done = true;
            context.log("consumer done: " + report());
            return false;
        }
        return true;
    }

    private void read(final DeviceContext context, final HeaderTable table) {
        int logged = 0;
        int bad = 0;
        final int n = table.rows();
        for (int row = 0; row < n; row++) {
            rows.increment();
            MetaHeader meta = null;
            BadRow reason;
            String detail;
            try {
                meta = table.meta(row);
                final MemorySegment payload = resolver.resolve(factory, meta);
                final long found = Payloads.checksum(payload);
                if (found == table.user(SideChannels.CHECKSUM, row)) {
                    okRows.increment();
                    bytesInPlace.add(meta.size());
                    continue;
                }
                reason = BadRow.BAD_CHECKSUM;
                detail = "checksum=" + table.user(SideChannels.CHECKSUM, row) + ", found=" + found;
            } catch (final SharedMemoryException e) {
                reason = BadRow.of(meta, e);
                detail = e.getMessage();
            } catch (final IllegalArgumentException e) {
                reason = BadRow.BAD_HEADER;
                detail = e.getMessage();
            } catch (final TransportClosedException e) {
                throw e; // the transport went away: the device's outage, not a bad row
            } catch (final RuntimeException e) {
                reason = BadRow.OTHER;
                detail = e.toString();
            }
            bad++;
            badRows.increment();
            counters.get(reason.counter()).increment();
            if (logged < LOGGED_PER_TABLE) {
                logged++;
                context.log("bad row: batch=" + table.batchId() + ", row=" + row + ", key="
                        + table.user(SideChannels.KEY, row) + ", reason=" + reason.counter() + ", header=" + meta
                        + ": " + detail);
            }
        }
        if (bad > logged) {
            context.log("bad rows: batch=" + table.batchId() + ", bad=" + bad + " of rows=" + n + " ("
                    + (bad - logged) + " not logged)");
        }
    }

    private void acknowledge(final DeviceContext context, final long batch) {
        final byte[] ack = new Acks(batch, consumerId).encode();
        for (final Channel c : context.channels(SideChannels.ACKS)) {
            try (Message m = c.newMessage(MemorySegment.ofArray(ack))) {
                while (context.running()) {
                    final long result = c.send(m, DeviceRunner.TRANSFER_TIMEOUT_MS);
                    if (result >= 0) {
                        counters.get("acks").increment();
                        break;
                    }
                    if (result == Socket.ERROR) {
                        throw new IllegalStateException("send failed: channel=" + c.spec().key() + ", result="
                                + result);
                    }
                }
            }
        }
    }

    private String rateLine(final long now) {
        final double seconds = (now - lineNanos) / 1e9;
        final long r = rows.sum();
        final long b = bytesInPlace.sum();
        final String line = String.format(Locale.ROOT, "consumer: %.0f rows/s resolved, %.2f MB/s read in place "
                + "(not copied), rows=%d, bad=%d", (r - lineRows) / seconds, (b - lineBytes) / seconds / 1e6, r,
                badRows.sum());
        lineNanos = now;
        lineRows = r;
        lineBytes = b;
        return line;
    }

    /** @return the totals and the rate from the first to the last table */
    String report() {
        final double seconds = Math.max(1e-9, (lastNanos - firstNanos) / 1e9);
        return String.format(Locale.ROOT, "rows=%d ok=%d bad=%d bytes-in-place=%d seconds=%.3f rate=%.0f rows/s "
                + "(%.2f MB/s read in place) %s", rows.sum(), okRows.sum(), badRows.sum(), bytesInPlace.sum(),
                seconds, rows.sum() / seconds, bytesInPlace.sum() / seconds / 1e6, new java.util.TreeMap<>(
                        counters()));
    }

    /** @return whether {@code max-rows} rows were read */
    boolean done() {
        return done;
    }

    @Override
    public void reset(final DeviceContext context) {
        if (reader != null) {
            reader.close();
            reader = null;
        }
    }

    @Override
    public Map<String, Long> counters() {
        final Map<String, Long> m = new LinkedHashMap<>();
        m.put("rows", rows.sum());
        m.put("ok", okRows.sum());
        m.put("bad", badRows.sum());
        m.put("bytes-in-place", bytesInPlace.sum());
        m.put("nanos", Math.max(0, lastNanos - firstNanos));
        counters.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }
}
