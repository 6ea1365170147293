package io.shmq.devices.internal;

import io.shmq.devices.Channel;
import io.shmq.devices.DeviceConfig;
import io.shmq.devices.DeviceContext;
import io.shmq.devices.DeviceRunner;
import io.shmq.devices.DeviceTask;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * FairMQ's benchmark sampler: sends {@code max-iterations} messages (0: no end) of {@code msg-size} bytes on the
 * sub-channels of {@value #CHANNEL}, round robin, at most {@code msg-rate} per second (0: as fast as it can), each
 * carrying its sequence number; with {@code multipart} as a 16-byte header part plus the payload. The sequence
 * number and the count go on across transport outages; a message that was not sent when the transport went away is
 * dropped with its factory.
 */
final class SamplerTask implements DeviceTask {
    /** The output channel. */
    static final String CHANNEL = "data1";

    private final long size;
    private final long maxIterations;
    private final long rate;
    private final boolean multipart;
    private volatile long sent;
    private volatile long bytes;
    private List<Message> pending;
    private List<Channel> channels = List.of();
    private long paceStartNanos;
    private long paceStartCount;

    SamplerTask(final DeviceConfig config) {
        this.size = config.longOption("msg-size", 1024);
        this.maxIterations = config.longOption("max-iterations", 0);
        this.rate = config.longOption("msg-rate", 0);
        this.multipart = config.booleanOption("multipart", false);
        if (size < 0 || maxIterations < 0 || rate < 0) {
            throw new IllegalArgumentException("sampler options must not be negative: msg-size=" + size
                    + ", max-iterations=" + maxIterations + ", msg-rate=" + rate);
        }
    }

    @Override
    public void init(final DeviceContext context) {
        pending = null;
        paceStartNanos = System.nanoTime();
        paceStartCount = sent;
        channels = context.channels(CHANNEL);
        if (channels.isEmpty()) {
            throw new IllegalArgumentException("the sampler needs a channel: channel=" + CHANNEL + ", id="
                    + context.config().id());
        }
    }

    @Override
    public boolean conditionalRun(final DeviceContext context) {
        final long n = sent;
        if (maxIterations > 0 && n >= maxIterations) {
            context.log("sampler done: sent=" + n);
            return false;
        }
        if (rate > 0) {
            final long due = paceStartNanos + (long) ((n - paceStartCount) * 1e9 / rate);
            final long early = due - System.nanoTime();
            if (early > 0) {
                LockSupport.parkNanos(Math.min(early, 1_000_000L));
                return true;
            }
        }
        final Channel channel = channels.get((int) (n % channels.size()));
        if (pending == null) {
            pending = build(channel, n);
        }
        final long result = multipart ? channel.send(pending, DeviceRunner.TRANSFER_TIMEOUT_MS)
                : channel.send(pending.get(0), DeviceRunner.TRANSFER_TIMEOUT_MS);
        if (result >= 0) {
            pending.forEach(Message::close);
            pending = null;
            bytes = bytes + size;
            sent = n + 1;
        } else if (result == Socket.ERROR) {
            throw new IllegalStateException("send failed: channel=" + channel.spec().key() + ", result=" + result);
        }
        return true;
    }

    private List<Message> build(final Channel channel, final long sequence) {
        final List<Message> parts = new ArrayList<>(2);
        if (multipart) {
            final Message header = channel.newMessage(Payloads.HEADER_BYTES);
            Payloads.writeHeader(header, sequence, size);
            parts.add(header);
        }
        final Message payload = channel.newMessage(size);
        Payloads.writeSequence(payload, sequence);
        parts.add(payload);
        return parts;
    }

    @Override
    public void reset(final DeviceContext context) {
        if (pending != null) {
            pending.forEach(Message::close);
            pending = null;
        }
    }

    @Override
    public Map<String, Long> counters() {
        return Map.of("sent", sent, "bytes", bytes);
    }
}
