package io.shmq.devices;

import io.shmq.transport.api.Message;
import java.util.List;
import java.util.Map;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * What a device does: FairMQ's user hooks. A {@link DeviceRunner} calls them on its device thread, one at a time.
 *
 * <p>{@link #init} runs each time the device comes up (first start, and again after every transport outage or
 * reset), after its channels are bound and connected; it may register data channels with
 * {@link DeviceContext#onData}. Then, while running: if data channels are registered, the runner receives from them
 * and calls {@link #handleData} per message; otherwise it calls {@link #run}, whose default calls
 * {@link #conditionalRun} until it returns {@code false} or the device stops. When {@code run} returns (or a
 * handler returns {@code false}) while the device is still meant to run, the task is done and the device stays
 * {@link DeviceState#READY}. {@link #reset} runs when the device is reset or ends, not on a transport outage, so
 * totals survive a provider swap.
 *
 * <p>{@code @ConsumerType}: users implement it.
 */
@ConsumerType
public interface DeviceTask {
    /**
     * FairMQ's {@code InitTask}: the channels are open.
     *
     * @param context the device
     */
    default void init(final DeviceContext context) {
    }

    /**
     * FairMQ's {@code Run}. Return when {@link DeviceContext#running()} turns false, or when the task is done.
     *
     * @param context the device
     */
    default void run(final DeviceContext context) {
        while (context.running() && conditionalRun(context)) {
            Thread.onSpinWait();
        }
    }

    /**
     * FairMQ's {@code ConditionalRun}, called again and again by the default {@link #run}.
     *
     * @param context the device
     * @return whether to be called again
     */
    default boolean conditionalRun(final DeviceContext context) {
        return false;
    }

    /**
     * FairMQ's {@code OnData} handler of a channel registered with {@link DeviceContext#onData}. The runner closes
     * the parts afterwards (sending one empties it, which is fine).
     *
     * @param context the device
     * @param channel the sub-channel the message came from
     * @param parts   the message: one part, or all parts of a multipart message
     * @return whether to go on receiving
     */
    default boolean handleData(final DeviceContext context, final Channel channel, final List<Message> parts) {
        return true;
    }

    /**
     * FairMQ's {@code Reset}: forget what {@link #init} and the run built up.
     *
     * @param context the device (its channels are still open)
     */
    default void reset(final DeviceContext context) {
    }

    /** @return counters shown in the device's status, e.g. {@code received=1000}; read from other threads */
    default Map<String, Long> counters() {
        return Map.of();
    }
}
