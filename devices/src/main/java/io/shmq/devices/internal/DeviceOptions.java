package io.shmq.devices.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The configuration keys of every example device (one Configuration Admin factory configuration per device
 * instance), described for Metatype; {@link io.shmq.devices.DeviceConfig#fromProperties} reads them.
 * {@code $_$} in a method name is a {@code -} in the key, so {@code channel$_$config} is {@code channel-config}, as
 * FairMQ spells its options.
 */
@ObjectClassDefinition(id = "io.shmq.devices.options", name = "shmq device",
        description = "A FairMQ-style device: its id, session, default transport, channels and benchmark options.")
public @interface DeviceOptions {
    /** @return the device id; empty: the configuration's service.pid */
    @AttributeDefinition(description = "Device id (FairMQ --id); empty for the configuration's PID.")
    String id() default "";

    /** @return the session its factories join */
    @AttributeDefinition(description = "Session name (FairMQ --session).")
    String session() default "default";

    /** @return the default transport kind */
    @AttributeDefinition(description = "Default transport of channels that name none: shmem or zeromq.")
    String transport() default "shmem";

    /** @return channels in FairMQ's syntax; several per value separated by white space */
    @AttributeDefinition(description = "Channels in FairMQ's syntax, e.g. "
            + "name=data1,type=push,method=bind,address=shm://data1")
    String[] channel$_$config();

    /** @return the sampler's payload size in bytes */
    @AttributeDefinition(description = "Sampler: payload size in bytes (FairMQ --msg-size).")
    long msg$_$size() default 1024;

    /** @return how many messages the sampler sends or the sink waits for; 0 for no end */
    @AttributeDefinition(description = "Sampler: messages to send; sink: messages to receive; 0: no end "
            + "(FairMQ --max-iterations).")
    long max$_$iterations() default 0;

    /** @return the sampler's rate limit in messages per second; 0 for none */
    @AttributeDefinition(description = "Sampler: messages per second, 0 for as fast as possible (FairMQ --msg-rate).")
    long msg$_$rate() default 0;

    /** @return whether messages have two parts (a 16-byte header and the payload) */
    @AttributeDefinition(description = "Send and receive two-part messages: a 16-byte header and the payload.")
    boolean multipart() default false;
}
