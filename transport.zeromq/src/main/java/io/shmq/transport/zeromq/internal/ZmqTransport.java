package io.shmq.transport.zeromq.internal;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Transport;
import io.shmq.transport.api.TransportClosedException;
import io.shmq.transport.api.TransportFactory;
import io.shmq.transport.api.TransportKind;
import io.shmq.transport.zeromq.common.ZeromqFactories;
import io.shmq.transport.zeromq.common.ZeromqOptions;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The zeromq {@link Transport} service on JeroMQ: a DS component with {@code transport.kind=zeromq}, configured
 * through Configuration Admin (PID {@value #PID}, {@link Config}), and a {@link java.util.ServiceLoader} provider
 * for the module path. Every factory owns its own JeroMQ context. When the component is deactivated (bundle stopped,
 * updated or uninstalled) it closes every factory it made that is still open, so that no context thread outlives
 * the bundle; a consumer still holding such a factory gets {@link TransportClosedException}.
 *
 * <p>Options: {@link ZeromqOptions}, with this provider's handshake interval
 * ({@link ZmqSocket#HANDSHAKE_INTERVAL_MS}) as the default. The configuration holds their defaults for the factories
 * made afterwards (a factory's own {@code zeromq.*} options win); a change applies without restarting the component
 * ({@link Modified}).
 */
@Component(service = Transport.class, property = {Transport.KIND_PROPERTY + "=zeromq",
        ZmqTransport.IMPLEMENTATION_PROPERTY + "=jeromq"}, configurationPid = ZmqTransport.PID)
@Designate(ocd = ZmqTransport.Config.class)
public final class ZmqTransport implements Transport {
    /** The Configuration Admin PID of the component. */
    public static final String PID = "io.shmq.transport.zeromq";
    /** The prefix of this provider's options. */
    public static final String OPTION_PREFIX = ZeromqOptions.PREFIX;
    /** The number of JeroMQ I/O threads of a factory's context. */
    public static final String IO_THREADS = ZeromqOptions.IO_THREADS;
    /**
     * The service property that names the zeromq implementation behind a service: {@code jeromq} here,
     * {@code libzmq} for the libzmq provider (which ranks above this one when both are there).
     */
    public static final String IMPLEMENTATION_PROPERTY = "transport.implementation";

    /** The component's typed configuration (metatype in the bundle); each key is a factory option's default. */
    @ObjectClassDefinition(name = "shmq zeromq transport (JeroMQ)",
            description = "Defaults of the zeromq factories this service makes")
    public @interface Config {
        /** @return {@code zeromq.io-threads} */
        @AttributeDefinition(description = "I/O threads of a factory's JeroMQ context (zeromq.io-threads)")
        int io$_$threads() default 1;

        /** @return {@code zeromq.handshake-interval-ms} */
        @AttributeDefinition(description = "ZMTP handshake timeout of every socket in ms "
                + "(zeromq.handshake-interval-ms)")
        int handshake$_$interval$_$ms() default ZmqSocket.HANDSHAKE_INTERVAL_MS;

        /** @return {@code zeromq.jeromq-ipc-emulation} */
        @AttributeDefinition(description = "Accept ipc:// and give it to JeroMQ, which maps it to loopback tcp "
                + "without a socket file (zeromq.jeromq-ipc-emulation); off: ipc:// is refused")
        boolean jeromq$_$ipc$_$emulation() default false;
    }

    private final ZeromqFactories factories = new ZeromqFactories("zeromq", ZmqSocket.HANDSHAKE_INTERVAL_MS);

    /** For DS and ServiceLoader. */
    public ZmqTransport() {
    }

    /** DS: the first configuration (or the annotation's defaults when there is none). */
    @Activate
    void activate(final Config config) {
        modified(config);
    }

    /** DS: a changed configuration; applies to factories made from now on, without a restart. */
    @Modified
    void modified(final Config config) {
        factories.configure(Map.of(ZeromqOptions.IO_THREADS, Integer.toString(config.io$_$threads()),
                ZeromqOptions.HANDSHAKE_INTERVAL_MS, Integer.toString(config.handshake$_$interval$_$ms()),
                ZeromqOptions.JEROMQ_IPC_EMULATION, Boolean.toString(config.jeromq$_$ipc$_$emulation())));
    }

    @Override
    public TransportKind kind() {
        return TransportKind.ZEROMQ;
    }

    @Override
    public TransportFactory createFactory(final FactoryConfig config) {
        return factories.create(config, () -> { }, ZmqFactory::new);
    }

    /** Closes the factories this service made that are still open; called by DS when the component goes away. */
    @Deactivate
    void deactivate() {
        factories.deactivate();
    }

    @Override
    public String toString() {
        return "ZmqTransport[kind=zeromq, implementation=jeromq]";
    }
}
