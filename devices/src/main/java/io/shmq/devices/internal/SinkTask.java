package io.shmq.devices.internal;

import io.shmq.devices.Channel;
import io.shmq.devices.DeviceConfig;
import io.shmq.devices.DeviceContext;
import io.shmq.devices.DeviceTask;
import io.shmq.transport.api.Message;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * FairMQ's benchmark sink: receives from every sub-channel of {@value #CHANNEL}, counts messages and bytes and
 * checks each message: the sequence number in its first and last 8 bytes agree, it grows on each sub-channel, and
 * a multipart message has a header part that names the same sequence number and the payload size. With
 * {@code max-iterations > 0} it is done (and reports) after that many messages. Counts survive transport outages;
 * {@link #reset} clears them.
 */
final class SinkTask implements DeviceTask {
    /** The input channel. */
    static final String CHANNEL = "data2";

    private final long maxIterations;
    private final boolean multipart;
    private final Map<Integer, Long> lastSequence = new ConcurrentHashMap<>();
    private volatile long received;
    private volatile long bytes;
    private volatile long errors;
    private volatile long firstNanos;
    private volatile long lastNanos;

    SinkTask(final DeviceConfig config) {
        this.maxIterations = config.longOption("max-iterations", 0);
        this.multipart = config.booleanOption("multipart", false);
    }

    @Override
    public void init(final DeviceContext context) {
        context.onData(CHANNEL, multipart);
    }

    @Override
    public boolean handleData(final DeviceContext context, final Channel channel, final List<Message> parts) {
        final long now = System.nanoTime();
        if (received == 0) {
            firstNanos = now;
        }
        lastNanos = now;
        final Message payload = parts.get(parts.size() - 1);
        long sequence = Payloads.readSequence(payload);
        boolean ok = sequence != -2;
        if (multipart) {
            ok &= parts.size() == 2 && Payloads.headerSize(parts.get(0)) == payload.size();
            final long headerSequence = Payloads.headerSequence(parts.get(0));
            ok &= sequence == Payloads.NO_SEQUENCE || headerSequence == sequence;
            sequence = headerSequence;
        }
        if (sequence >= 0) {
            final Long last = lastSequence.put(channel.index(), sequence);
            ok &= last == null || sequence > last;
        }
        if (!ok) {
            errors = errors + 1;
        }
        long size = 0;
        for (final Message part : parts) {
            size += part.size();
        }
        bytes = bytes + size;
        final long n = received + 1;
        received = n;
        if (maxIterations > 0 && n >= maxIterations) {
            context.log(report());
            return false;
        }
        return true;
    }

    /** @return one line: messages, bytes, errors and the rate between the first and the last message */
    String report() {
        final double seconds = (lastNanos - firstNanos) / 1e9;
        final long n = received;
        return String.format(java.util.Locale.ROOT, "sink: received=%d bytes=%d errors=%d seconds=%.3f "
                + "rate=%.0f msg/s (%.2f MB/s)", n, bytes, errors, seconds, seconds > 0 ? (n - 1) / seconds : 0.0,
                seconds > 0 ? bytes / seconds / 1e6 : 0.0);
    }

    @Override
    public void reset(final DeviceContext context) {
        received = 0;
        bytes = 0;
        errors = 0;
        lastSequence.clear();
    }

    @Override
    public Map<String, Long> counters() {
        return Map.of("received", received, "bytes", bytes, "errors", errors,
                "nanos", Math.max(0, lastNanos - firstNanos));
    }
}
