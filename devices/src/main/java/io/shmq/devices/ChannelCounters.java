package io.shmq.devices;

/**
 * The running totals of one sub-channel. Single writer (the device thread, plain read then volatile write), any
 * number of readers (the rate logger, status queries: volatile reads).
 */
final class ChannelCounters {
    private final String key;
    private volatile long messagesIn;
    private volatile long bytesIn;
    private volatile long messagesOut;
    private volatile long bytesOut;
    private long lastMessagesIn;
    private long lastBytesIn;
    private long lastMessagesOut;
    private long lastBytesOut;
    private long lastNanos = System.nanoTime();
    private volatile ChannelRate rate;

    ChannelCounters(final String key) {
        this.key = key;
        this.rate = new ChannelRate(key, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    void received(final long bytes) {
        messagesIn = messagesIn + 1;
        bytesIn = bytesIn + bytes;
    }

    void sent(final long bytes) {
        messagesOut = messagesOut + 1;
        bytesOut = bytesOut + bytes;
    }

    /** Computes the rates since the last call; called by the rate logger only. */
    ChannelRate sample() {
        final long now = System.nanoTime();
        final double seconds = Math.max(1e-9, (now - lastNanos) / 1e9);
        final long mi = messagesIn;
        final long bi = bytesIn;
        final long mo = messagesOut;
        final long bo = bytesOut;
        final ChannelRate sampled = new ChannelRate(key, (mi - lastMessagesIn) / seconds,
                (bi - lastBytesIn) / seconds / 1e6, (mo - lastMessagesOut) / seconds,
                (bo - lastBytesOut) / seconds / 1e6, mi, bi, mo, bo);
        lastNanos = now;
        lastMessagesIn = mi;
        lastBytesIn = bi;
        lastMessagesOut = mo;
        lastBytesOut = bo;
        rate = sampled;
        return sampled;
    }

    /** @return the rates of the last sample with the current totals */
    ChannelRate current() {
        final ChannelRate r = rate;
        return new ChannelRate(key, r.messagesInPerSecond(), r.megabytesInPerSecond(), r.messagesOutPerSecond(),
                r.megabytesOutPerSecond(), messagesIn, bytesIn, messagesOut, bytesOut);
    }
}
