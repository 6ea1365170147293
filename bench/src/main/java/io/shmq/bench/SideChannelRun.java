package io.shmq.bench;

import io.shmq.transport.api.DataAddressResolver;
import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.MetaHeader;
import io.shmq.transport.api.MetaHeaderFrame;
import io.shmq.transport.api.SharedMemoryMessage;
import io.shmq.transport.api.TransportFactory;
import io.shmq.transport.api.TransportKind;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The side channel end to end, between two JVMs: the producer (this process) allocates shared-memory messages and
 * never sends them; it writes a sequence number into the first and the last 8 bytes of each payload, ships the
 * messages' {@link MetaHeader}s in batches (one {@link MetaHeaderFrame} multipart frame per batch) through a pipe to
 * a consumer JVM; the consumer resolves every header through {@link DataAddressResolver}, checks both sequence
 * numbers in place and acknowledges the batch; the producer then closes the batch's messages (frees them). A window
 * of batches is in flight. Prints messages/s and the payload bandwidth this represents, per message size.
 *
 * <p>This is how the side channel is used (an Arrow table of headers per batch in production): the rate measures
 * allocation, header shipping, resolution and freeing; no payload byte is copied, so it should not fall with size.
 */
public final class SideChannelRun {
    private static final int WINDOW = 4;
    private static final long BUDGET_BYTES = 256L << 20;

    private SideChannelRun() {
    }

    /**
     * Runs the producer side for each size and prints a table.
     *
     * @param sizes    payload sizes in bytes
     * @param messages messages per size
     * @throws Exception when the consumer fails
     */
    static void run(final long[] sizes, final long messages) throws Exception {
        System.out.println("| payload | messages | batch | msgs/s | payload GB/s (not copied) |");
        System.out.println("|---:|---:|---:|---:|---:|");
        for (final long size : sizes) {
            final int batch = batch(size);
            final double rate = produce(size, messages, batch).steady();
            System.out.printf(Locale.ROOT, "| %s | %d | %d | %,.0f | %.1f |%n", human(size), messages, batch, rate,
                    rate * size / 1e9);
        }
    }

    /** @return headers per batch: up to 1024, fewer for large messages so that the window holds 256 MiB at most */
    static int batch(final long size) {
        return (int) Math.max(1, Math.min(1024, BUDGET_BYTES / (size * WINDOW)));
    }

    /**
     * One size: the producer here, the consumer in a child JVM.
     *
     * @return the whole run (from the first allocation, warm-up included) and the measured part after the warm-up
     */
    static Rates produce(final long size, final long messages, final int batch) throws Exception {
        final String session = "sidechannel-" + UUID.randomUUID().toString().substring(0, 8);
        final Process consumer = ChildJvm.start(List.of(), SideChannelRun.class, true, session);
        try (TransportFactory factory = Transports.transport(TransportKind.SHMEM)
                .createFactory(FactoryConfig.of("producer", session));
             DataOutputStream out = new DataOutputStream(new BufferedOutputStream(consumer.getOutputStream(), 1 << 16));
             DataInputStream in = new DataInputStream(new BufferedInputStream(consumer.getInputStream()))) {
            awaitAck(in); // the consumer's factory is open
            final long warmUp = Math.min(messages, 200_000);
            final long first = System.nanoTime();
            pump(factory, in, out, size, batch, 0, warmUp);
            final long start = System.nanoTime();
            pump(factory, in, out, size, batch, warmUp, messages);
            final long elapsed = System.nanoTime() - start;
            out.writeInt(-1);
            out.flush();
            final long checked = in.readLong();
            if (checked != warmUp + messages) {
                throw new IllegalStateException("consumer checked " + checked + " messages, expected "
                        + (warmUp + messages));
            }
            return new Rates(warmUp + messages, (warmUp + messages) * 1e9 / (start + elapsed - first),
                    messages * 1e9 / elapsed);
        } finally {
            if (!consumer.waitFor(30, TimeUnit.SECONDS)) {
                consumer.destroyForcibly();
            }
        }
    }

    /** Ships messages with sequence numbers [from, from + count) through the window and waits for every ack. */
    private static void pump(final TransportFactory factory, final DataInputStream in, final DataOutputStream out,
                             final long size, final int batch, final long from, final long count) throws IOException {
        final ArrayDeque<List<Message>> inFlight = new ArrayDeque<>();
        long sequence = from;
        final long end = from + count;
        while (sequence < end) {
            if (inFlight.size() == WINDOW) {
                awaitAck(in);
                inFlight.removeFirst().forEach(Message::close);
            }
            final int n = (int) Math.min(batch, end - sequence);
            final List<Message> held = new ArrayList<>(n);
            final List<MetaHeader> headers = new ArrayList<>(n);
            for (int i = 0; i < n; i++, sequence++) {
                final Message message = factory.createMessage(size);
                final MemorySegment data = message.data();
                data.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, sequence);
                data.set(ValueLayout.JAVA_LONG_UNALIGNED, size - Long.BYTES, sequence);
                held.add(message);
                headers.add(((SharedMemoryMessage) message).meta());
            }
            final byte[] frame = MetaHeaderFrame.encodeMultipart(headers, 0);
            out.writeInt(frame.length);
            out.write(frame);
            out.flush();
            inFlight.addLast(held);
        }
        while (!inFlight.isEmpty()) {
            awaitAck(in);
            inFlight.removeFirst().forEach(Message::close);
        }
    }

    private static void awaitAck(final DataInputStream in) throws IOException {
        if (in.readInt() != 0) {
            throw new IllegalStateException("consumer reported a bad payload");
        }
    }

    /**
     * The consumer JVM: resolves and checks what the producer ships.
     *
     * @param args the session name
     * @throws IOException when the pipe breaks
     */
    public static void main(final String[] args) throws IOException {
        final DataAddressResolver resolver = Transports.resolver();
        long expected = 0;
        try (TransportFactory factory = Transports.transport(TransportKind.SHMEM)
                .createFactory(FactoryConfig.of("consumer", args[0]));
             DataInputStream in = new DataInputStream(new BufferedInputStream(System.in, 1 << 16));
             DataOutputStream out = new DataOutputStream(new BufferedOutputStream(System.out))) {
            out.writeInt(0); // ready
            out.flush();
            for (int length = in.readInt(); length >= 0; length = in.readInt()) {
                final byte[] frame = in.readNBytes(length);
                int bad = 0;
                for (final MetaHeader header : MetaHeaderFrame.decodeMultipart(MemorySegment.ofArray(frame), 0)) {
                    final MemorySegment data = resolver.resolve(factory, header);
                    if (data.get(ValueLayout.JAVA_LONG_UNALIGNED, 0) != expected
                            || data.get(ValueLayout.JAVA_LONG_UNALIGNED, data.byteSize() - Long.BYTES) != expected) {
                        bad = 1;
                    }
                    expected++;
                }
                out.writeInt(bad);
                out.flush();
            }
            out.writeLong(expected);
            out.flush();
        }
    }

    private static String human(final long size) {
        return SocketRun.human(size);
    }
}
