package io.shmq.devices;

import java.util.List;
import java.util.Map;

/**
 * A snapshot of a device.
 *
 * @param id               the device id
 * @param type             what the device is, e.g. {@code sampler}
 * @param state            its state
 * @param outages          how often a transport in use went away (or closed under the device)
 * @param unexpectedErrors exceptions that were not the documented outage signal
 * @param exceptions       every exception that reached the device, by class name, with its count
 * @param counters         the task's counters ({@link DeviceTask#counters()})
 * @param rates            one entry per sub-channel
 * @param lastError        the last unexpected error, or the empty string
 */
public record DeviceStatus(String id, String type, DeviceState state, long outages, long unexpectedErrors,
                           Map<String, Long> exceptions, Map<String, Long> counters, List<ChannelRate> rates,
                           String lastError) {
    /** Freezes the collections. */
    public DeviceStatus {
        exceptions = Map.copyOf(exceptions);
        counters = Map.copyOf(counters);
        rates = List.copyOf(rates);
    }
}
