package io.shmq.bench;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.FragmentAssembler;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.logbuffer.FragmentHandler;
import java.util.List;
import org.agrona.BufferUtil;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Aeron IPC, the Java peer: an embedded media driver (shared threading mode, Aeron's default back-off idle; its
 * directory is the one given, which the caller deletes) in the receiving or pinging JVM, an exclusive publication
 * in the other JVM, a subscription with a {@link FragmentAssembler} here. A message larger than the publication's
 * MTU is fragmented by {@code offer} and put back together by the assembler (Aeron copies the payload into its log
 * and the assembler copies the fragments, where shmq passes a reference). The term length is Aeron's default for
 * IPC (64 MiB) unless a message needs more: the largest message is an eighth of the term, up to 16 MiB.
 */
final class AeronPeer {
    /** Aeron 1.49 (Agrona 2) on JDK 25 reads memory through {@code jdk.internal.misc.Unsafe}, which it must see. */
    static final List<String> JVM_FLAGS = List.of("--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED");
    private static final int STREAM = 1001;
    private static final int PONG_STREAM = 1002;
    private static final long TIMEOUT_NANOS = 60_000_000_000L;

    private AeronPeer() {
    }

    /** @return the IPC channel with a term long enough for messages of {@code size} bytes */
    static String channel(final long size) {
        long term = 64L << 20;
        while (term < size * 8) {
            term <<= 1;
        }
        return term > 64L << 20 ? "aeron:ipc?term-length=" + term : "aeron:ipc";
    }

    private static MediaDriver launchDriver(final String directory) {
        return MediaDriver.launch(new MediaDriver.Context().aeronDirectoryName(directory)
                .threadingMode(ThreadingMode.SHARED).dirDeleteOnStart(true).dirDeleteOnShutdown(true));
    }

    private static Aeron connect(final String directory) {
        return Aeron.connect(new Aeron.Context().aeronDirectoryName(directory));
    }

    private static void offer(final Publication publication, final DirectBuffer buffer, final int offset,
                              final int length, final IdleStrategy idle) {
        final long deadline = System.nanoTime() + TIMEOUT_NANOS;
        idle.reset();
        long result;
        while ((result = publication.offer(buffer, offset, length)) < 0) {
            if (result == Publication.CLOSED || result == Publication.MAX_POSITION_EXCEEDED) {
                throw new IllegalStateException("offer failed: result=" + result);
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("offer timed out: result=" + result + " length=" + length);
            }
            idle.idle();
        }
    }

    /** The publishing JVM of a stream: a client of the driver in {@code directory}. */
    static Stream.Sender sender(final String directory, final long size) {
        final Aeron aeron = connect(directory);
        final ExclusivePublication publication = aeron.addExclusivePublication(channel(size), STREAM);
        final UnsafeBuffer buffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned((int) size, 64));
        final IdleStrategy idle = new BackoffIdleStrategy();
        return new Stream.Sender() {
            @Override
            public void send(final long seq) {
                buffer.putLong(0, seq);
                buffer.putLong((int) size - Long.BYTES, seq);
                offer(publication, buffer, 0, (int) size, idle);
            }

            @Override
            public void close() {
                CloseHelper.closeAll(publication, aeron);
            }
        };
    }

    /** The subscribing JVM of a stream, which also runs the driver. */
    static Stream.Receiver receiver(final String directory, final long size) {
        final MediaDriver driver = launchDriver(directory);
        final Aeron aeron = connect(directory);
        final Subscription subscription = aeron.addSubscription("aeron:ipc", STREAM);
        return new Stream.Receiver() {
            @Override
            public void receiveAll(final Stream.Trace trace) {
                final FragmentAssembler assembler = new FragmentAssembler((buffer, offset, length, header) -> {
                    if (length != size) {
                        throw new IllegalStateException("wrong length: expected=" + size + " length=" + length);
                    }
                    trace.accept(buffer.getLong(offset), buffer.getLong(offset + length - Long.BYTES));
                });
                final IdleStrategy idle = new BackoffIdleStrategy();
                long lastWork = System.nanoTime();
                while (!trace.done()) {
                    final int fragments = subscription.poll(assembler, 64);
                    if (fragments > 0) {
                        lastWork = System.nanoTime();
                    } else {
                        trace.checkNotAbandoned();
                        if (System.nanoTime() - lastWork > TIMEOUT_NANOS) {
                            throw new IllegalStateException("nothing received for 60 s: size=" + size);
                        }
                    }
                    idle.idle(fragments);
                }
            }

            @Override
            public void close() {
                CloseHelper.closeAll(subscription, aeron, driver);
            }
        };
    }

    /**
     * The pinging JVM of a round trip (it runs the driver): offers a message numbered i and busy-polls for the
     * pong, as Aeron's own Ping sample does.
     */
    static RoundTrips.Requester requester(final String directory, final long size) {
        final MediaDriver driver = launchDriver(directory);
        final Aeron aeron = connect(directory);
        final ExclusivePublication publication = aeron.addExclusivePublication("aeron:ipc", STREAM);
        final Subscription subscription = aeron.addSubscription("aeron:ipc", PONG_STREAM);
        final UnsafeBuffer buffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned((int) size, 64));
        final IdleStrategy idle = new BusySpinIdleStrategy();
        final long[] reply = {Long.MIN_VALUE};
        final FragmentHandler handler = new FragmentAssembler((b, offset, length, header) -> reply[0] =
                b.getLong(offset));
        return new RoundTrips.Requester() {
            @Override
            public void roundTrip(final long i) {
                buffer.putLong(0, i);
                offer(publication, buffer, 0, (int) size, idle);
                final long deadline = System.nanoTime() + TIMEOUT_NANOS;
                while (reply[0] != i) {
                    if (subscription.poll(handler, 1) == 0 && System.nanoTime() - deadline > 0) {
                        throw new IllegalStateException("no pong for i=" + i);
                    }
                }
            }

            @Override
            public void close() {
                CloseHelper.closeAll(subscription, publication, aeron, driver);
            }
        };
    }

    /** The ponging JVM: sends every ping back as it came, {@code rounds} times. */
    static void reply(final String directory, final long rounds) {
        try (Aeron aeron = connect(directory);
             Subscription subscription = aeron.addSubscription("aeron:ipc", STREAM);
             ExclusivePublication publication = aeron.addExclusivePublication("aeron:ipc", PONG_STREAM)) {
            final IdleStrategy idle = new BusySpinIdleStrategy();
            final long[] echoed = {0};
            final FragmentHandler handler = new FragmentAssembler((b, offset, length, header) -> {
                offer(publication, b, offset, length, idle);
                echoed[0]++;
            });
            final long deadline = System.nanoTime() + TIMEOUT_NANOS + rounds * 1_000_000L;
            while (echoed[0] < rounds) {
                if (subscription.poll(handler, 1) == 0 && System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("pong timed out after " + echoed[0] + " of " + rounds);
                }
            }
        }
    }
}
