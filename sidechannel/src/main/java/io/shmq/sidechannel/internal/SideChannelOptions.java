package io.shmq.sidechannel.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The configuration keys of the cache and the consumer device (one Configuration Admin factory configuration per
 * device), described for Metatype; {@code $_$} in a method name is a {@code -} in the key. The device keys are
 * {@link io.shmq.devices.DeviceConfig#fromProperties}'s; each device reads only its own options.
 */
@ObjectClassDefinition(id = "io.shmq.sidechannel.options", name = "shmq side-channel device",
        description = "Cache or consumer of the Arrow side channel: channels tables and acks, and its options.")
public @interface SideChannelOptions {
    /** @return the device id; empty: the configuration's service.pid */
    @AttributeDefinition(description = "Device id (FairMQ --id); empty for the configuration's PID.")
    String id() default "";

    /** @return the session its factories join */
    @AttributeDefinition(description = "Session name (FairMQ --session); cache and consumers share it.")
    String session() default "default";

    /** @return the default transport kind */
    @AttributeDefinition(description = "Default transport of channels that name none: shmem or zeromq.")
    String transport() default "shmem";

    /** @return channels tables and acks in FairMQ's syntax */
    @AttributeDefinition(description = "Channels tables and acks in FairMQ's syntax; one of them on shmem.")
    String[] channel$_$config();

    /** @return cache: payloads to publish */
    @AttributeDefinition(description = "Cache: payloads (rows) to publish, 0 for no end.")
    long rows() default 0;

    /** @return cache: rows per table */
    @AttributeDefinition(description = "Cache: rows per table.")
    long batch$_$rows() default 1000;

    /** @return cache: tables in flight */
    @AttributeDefinition(description = "Cache: tables in flight (not yet acknowledged).")
    long window() default 4;

    /** @return cache: smallest payload */
    @AttributeDefinition(description = "Cache: smallest payload in bytes.")
    long min$_$size() default 16;

    /** @return cache: largest payload */
    @AttributeDefinition(description = "Cache: largest payload in bytes.")
    long max$_$size() default 4096;

    /** @return cache: share of rows in the region */
    @AttributeDefinition(description = "Cache: percent of the rows placed in the unmanaged region.")
    long region$_$percent() default 50;

    /** @return cache: region size */
    @AttributeDefinition(description = "Cache: size of the unmanaged region in bytes.")
    long region$_$size() default 64L << 20;

    /** @return cache: consumers that must acknowledge a table */
    @AttributeDefinition(description = "Cache: consumers that acknowledge each table (one tables sub-channel each).")
    long consumers() default 1;

    /** @return cache: how long a table may wait for its acknowledgements */
    @AttributeDefinition(description = "Cache: milliseconds before an unacknowledged table is dropped (counted).")
    long ack$_$timeout$_$ms() default 10_000;

    /** @return consumer: rows to read */
    @AttributeDefinition(description = "Consumer: rows to read, then report; 0 for no end.")
    long max$_$rows() default 0;
}
