package io.shmq.devices;

/**
 * The traffic of one sub-channel: the rates of the last rate-logging interval and the totals since the device was
 * created (the totals survive outages and reconnects).
 *
 * @param channel       the sub-channel, {@code name[index]}
 * @param messagesInPerSecond  messages received per second
 * @param megabytesInPerSecond payload megabytes (10^6 bytes) received per second
 * @param messagesOutPerSecond messages sent per second
 * @param megabytesOutPerSecond payload megabytes sent per second
 * @param messagesIn    messages received in total
 * @param bytesIn       payload bytes received in total
 * @param messagesOut   messages sent in total
 * @param bytesOut      payload bytes sent in total
 */
public record ChannelRate(String channel, double messagesInPerSecond, double megabytesInPerSecond,
                          double messagesOutPerSecond, double megabytesOutPerSecond, long messagesIn, long bytesIn,
                          long messagesOut, long bytesOut) {
    /** @return FairMQ's rate line: {@code data[0]: in: 0 msg/s (0.00 MB/s) out: 1234 msg/s (1.23 MB/s)} */
    public String line() {
        return String.format(java.util.Locale.ROOT, "%s: in: %.0f msg/s (%.2f MB/s) out: %.0f msg/s (%.2f MB/s)",
                channel, messagesInPerSecond, megabytesInPerSecond, messagesOutPerSecond, megabytesOutPerSecond);
    }
}
