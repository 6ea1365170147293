package io.shmq.sidechannel.internal;

import io.shmq.devices.Channel;
import io.shmq.devices.DeviceContext;
import io.shmq.sidechannel.HeaderTableSchema;
import io.shmq.transport.api.TransportFactory;
import io.shmq.transport.api.TransportKind;

/** What the cache and the consumer share: channel names, the table schema, the shared-memory factory lookup. */
final class SideChannels {
    /** The channel the tables travel on (cache: push, bind, one sub-channel per consumer; consumer: pull). */
    static final String TABLES = "tables";
    /** The channel acknowledgements travel on (cache: pull, bind; consumers: push, connect). */
    static final String ACKS = "acks";
    /** The user columns: the row key and the payload's CRC-32C. */
    static final HeaderTableSchema SCHEMA = HeaderTableSchema.of("key", "checksum");
    /** Index of the key among the user columns. */
    static final int KEY = SCHEMA.userColumn("key");
    /** Index of the checksum among the user columns. */
    static final int CHECKSUM = SCHEMA.userColumn("checksum");

    private SideChannels() {
    }

    /**
     * Payloads live in shared memory, whatever transport the tables take: the factory of the first shared-memory
     * channel (tables, then acks) is the one that allocates and resolves.
     *
     * @param context the device
     * @return a shared-memory factory of the device's session
     * @throws IllegalArgumentException when no channel of the device is on shared memory
     */
    static TransportFactory shmemFactory(final DeviceContext context) {
        for (final String name : new String[] {TABLES, ACKS}) {
            for (final Channel c : context.channels(name)) {
                if (c.factory().kind() == TransportKind.SHMEM) {
                    return c.factory();
                }
            }
        }
        throw new IllegalArgumentException("the side channel needs a shared-memory channel: channels=" + TABLES
                + "," + ACKS + " have no transport=shmem, id=" + context.config().id());
    }
}
