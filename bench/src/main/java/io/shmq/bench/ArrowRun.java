package io.shmq.bench;

import io.shmq.sidechannel.HeaderTable;
import io.shmq.sidechannel.HeaderTableReader;
import io.shmq.sidechannel.HeaderTableSchema;
import io.shmq.sidechannel.HeaderTableWriter;
import io.shmq.transport.api.DataAddressResolver;
import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.MetaHeader;
import io.shmq.transport.api.RegionConfig;
import io.shmq.transport.api.SharedMemoryMessage;
import io.shmq.transport.api.TransportFactory;
import io.shmq.transport.api.TransportKind;
import io.shmq.transport.api.UnmanagedRegion;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.function.LongSupplier;

/**
 * The side channel's table path, per row: encode MetaHeaders into Arrow tables, decode them, read every row, and
 * resolve every row in place. A producer factory holds {@code rows} payloads (16 to 256 bytes, half managed, half
 * in an unmanaged region, the key in the first 8 bytes); their tables (1000 rows each, with key and checksum
 * columns) are shmq messages in shared memory. A second factory of the same session, as a consumer in another
 * process would, decodes each table from the message's memory and resolves each row through the
 * {@link DataAddressResolver} (its own mappings of the segment and the region), reading the key in place.
 *
 * <p>Each pass goes over all rows; 3 warm-up passes, then 11 measured, the median and the best are printed. The cost
 * of the resolve "on top of reading the table" is the resolve pass minus the read pass of the same round (those
 * passes run interleaved); the payload check adds the first touch of each payload (1e6 payloads over some 200 MB:
 * mostly a cache miss per row, and the resolver's check of a managed block's header touches that line first).
 */
final class ArrowRun {
    private static final int BATCH = 1000;
    private static final int WARM_UP = 3;
    private static final int PASSES = 11;
    private static final HeaderTableSchema SCHEMA = HeaderTableSchema.of("key", "checksum");
    private static final ValueLayout.OfLong KEY = ValueLayout.JAVA_LONG_UNALIGNED;

    private ArrowRun() {
    }

    /**
     * Runs the passes for {@code rows} rows, then for 10,000 rows (their payloads and block headers stay in the
     * cache, which shows the resolver's own cost apart from the memory's).
     *
     * @param rows the rows of the first run
     */
    static void run(final int rows) {
        runOnce(rows);
        System.out.println();
        runOnce(10_000);
    }

    private static void runOnce(final int rows) {
        final String session = "arrowrun-" + UUID.randomUUID().toString().substring(0, 8);
        final var shmem = Transports.transport(TransportKind.SHMEM);
        final DataAddressResolver resolver = Transports.resolver();
        try (TransportFactory producer = shmem.createFactory(FactoryConfig.of("producer", session));
             TransportFactory consumer = shmem.createFactory(FactoryConfig.of("consumer", session));
             UnmanagedRegion region = producer.createUnmanagedRegion(256L * rows / 2 + 4096, b -> { },
                     RegionConfig.DEFAULT);
             HeaderTableWriter writer = new HeaderTableWriter(SCHEMA, "producer", BATCH);
             HeaderTableReader reader = new HeaderTableReader(SCHEMA)) {
            final List<Message> payloads = new ArrayList<>(rows);
            final MetaHeader[] headers = new MetaHeader[rows];
            long cursor = 0;
            for (int i = 0; i < rows; i++) {
                final long size = 16 + (i * 0x9E3779B1L >>> 8) % 241;
                final Message m;
                if ((i & 1) == 0) {
                    m = producer.createMessage(size);
                } else {
                    m = producer.createMessage(region, cursor, size, i);
                    cursor = (cursor + size + 15) & ~15L;
                }
                m.data().set(KEY, 0, i);
                payloads.add(m);
                headers[i] = ((SharedMemoryMessage) m).meta();
            }
            final int tableCount = (rows + BATCH - 1) / BATCH;
            final byte[][] encoded = new byte[tableCount][];
            final Timing encode = measure(rows, () -> {
                for (int t = 0; t < tableCount; t++) {
                    writer.clear();
                    for (int i = t * BATCH, end = Math.min(rows, i + BATCH); i < end; i++) {
                        writer.add(headers[i], i, 0);
                    }
                    encoded[t] = writer.encode(t);
                }
                return encoded[tableCount - 1].length;
            });
            final List<Message> tables = new ArrayList<>(tableCount);
            long tableBytes = 0;
            for (final byte[] bytes : encoded) {
                tables.add(producer.createMessage(MemorySegment.ofArray(bytes)));
                tableBytes += bytes.length;
            }
            final Timing decode = measure(rows, () -> {
                long n = 0;
                for (final Message t : tables) {
                    try (HeaderTable table = reader.read(t.data())) {
                        n += table.rows();
                    }
                }
                return n;
            });
            final LongSupplier readPass = () -> {
                long n = 0;
                for (final Message t : tables) {
                    try (HeaderTable table = reader.read(t.data())) {
                        for (int r = 0, end = table.rows(); r < end; r++) {
                            n += table.meta(r).handle() ^ table.user(0, r);
                        }
                    }
                }
                return n;
            };
            final LongSupplier resolveOnlyPass = () -> {
                long n = 0;
                for (final Message t : tables) {
                    try (HeaderTable table = reader.read(t.data())) {
                        for (int r = 0, end = table.rows(); r < end; r++) {
                            n += resolver.resolve(consumer, table.meta(r)).byteSize();
                        }
                    }
                }
                return n;
            };
            final LongSupplier resolvePass = () -> {
                long bad = 0;
                for (final Message t : tables) {
                    try (HeaderTable table = reader.read(t.data())) {
                        for (int r = 0, end = table.rows(); r < end; r++) {
                            final MemorySegment payload = resolver.resolve(consumer, table.meta(r));
                            if (payload.get(KEY, 0) != table.user(0, r)) {
                                bad++;
                            }
                        }
                    }
                }
                if (bad != 0) {
                    throw new IllegalStateException("payloads with a wrong key: bad=" + bad);
                }
                return bad;
            };
            final double[][] ns = interleaved(rows, readPass, resolveOnlyPass, resolvePass);
            final Timing read = timing(ns[0]);
            final Timing resolveOnly = timing(ns[1]);
            final Timing resolve = timing(ns[2]);
            System.out.printf(Locale.ROOT, "side channel tables: rows=%d in tables of %d rows (%.1f B of table per "
                    + "row), payloads 16..256 B, half managed, half in a region; ns/row, median of %d passes "
                    + "(best)%n", rows, BATCH, tableBytes / (double) rows, PASSES);
            System.out.println("| step | ns/row (median) | ns/row (best) |");
            System.out.println("|---|---:|---:|");
            row("encode (add + IPC stream)", encode);
            row("decode (read the IPC stream)", decode);
            row("decode + read every row", read);
            row("decode + read + resolve (payload not touched)", resolveOnly);
            row("decode + read + resolve + check the key in the payload", resolve);
            System.out.printf(Locale.ROOT, "resolve on top of reading the table: %.1f ns/row; with the payload's "
                    + "first 8 bytes read in place: %.1f ns/row (medians of the differences within a round); rows "
                    + "resolved and checked per second, decode included: %,.0f%n", difference(ns[1], ns[0]),
                    difference(ns[2], ns[0]), 1e9 / resolve.median());
            tables.forEach(Message::close);
            payloads.forEach(Message::close);
        }
    }

    /** The ns/row of the measured passes. */
    private record Timing(double median, double best) {
    }

    /** @return the ns/row of the measured passes; what the pass returns is consumed so that it is not optimised out */
    private static Timing measure(final int rows, final LongSupplier pass) {
        long consumed = 0;
        for (int i = 0; i < WARM_UP; i++) {
            consumed += pass.getAsLong();
        }
        final double[] ns = new double[PASSES];
        for (int i = 0; i < PASSES; i++) {
            final long start = System.nanoTime();
            consumed += pass.getAsLong();
            ns[i] = (System.nanoTime() - start) / (double) rows;
        }
        if (consumed == Long.MIN_VALUE) {
            System.out.println("consumed=" + consumed);
        }
        Arrays.sort(ns);
        return new Timing(ns[PASSES / 2], ns[0]);
    }

    /**
     * Runs the passes round by round, each once per round (so that a burst of load on the shared machine hits all
     * of them alike), after {@value #WARM_UP} warm-up rounds.
     *
     * @return per pass, the ns/row of each measured round, in round order
     */
    private static double[][] interleaved(final int rows, final LongSupplier... passes) {
        long consumed = 0;
        for (int i = 0; i < WARM_UP; i++) {
            for (final LongSupplier p : passes) {
                consumed += p.getAsLong();
            }
        }
        final double[][] ns = new double[passes.length][PASSES];
        for (int i = 0; i < PASSES; i++) {
            for (int p = 0; p < passes.length; p++) {
                final long start = System.nanoTime();
                consumed += passes[p].getAsLong();
                ns[p][i] = (System.nanoTime() - start) / (double) rows;
            }
        }
        if (consumed == Long.MIN_VALUE) {
            System.out.println("consumed=" + consumed);
        }
        return ns;
    }

    private static Timing timing(final double[] ns) {
        final double[] sorted = ns.clone();
        Arrays.sort(sorted);
        return new Timing(sorted[sorted.length / 2], sorted[0]);
    }

    /** @return the median over rounds of {@code a[i] - b[i]} */
    private static double difference(final double[] a, final double[] b) {
        final double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i] - b[i];
        }
        return timing(d).median();
    }

    private static void row(final String step, final Timing t) {
        System.out.printf(Locale.ROOT, "| %s | %.1f | %.1f |%n", step, t.median(), t.best());
    }
}
