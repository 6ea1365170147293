package io.shmq.devices;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A device instance, as the runtime and the Gogo commands see it. Device components register themselves under this
 * interface with the service property {@value #TYPE_PROPERTY} (and their configuration's properties).
 *
 * <p>{@code @ProviderType}: implemented by {@link DeviceRunner} and the device components that wrap one.
 */
@ProviderType
public interface Device {
    /** Service property: the device type, e.g. {@code sampler}. */
    String TYPE_PROPERTY = "device.type";

    /** @return the device id */
    String id();

    /** @return the device type */
    String type();

    /** @return a snapshot of state, counters, rates and errors */
    DeviceStatus status();

    /** Runs the device again after {@link #stop()} or {@link #reset()} (or after its task was done). */
    void start();

    /** FairMQ's {@code Stop}: leaves {@link DeviceState#RUNNING} for {@link DeviceState#READY}; channels stay open. */
    void stop();

    /** FairMQ's {@code ResetDevice}: closes channels and factories and goes to {@link DeviceState#IDLE}. */
    void reset();
}
