package io.shmq.transport.libzmq.internal;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Transport;
import io.shmq.transport.api.TransportException;
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
 * The zeromq {@link Transport} service on libzmq: {@code transport.kind=zeromq}, {@value #IMPLEMENTATION_PROPERTY}
 * {@code =libzmq} and a {@code service.ranking} of {@value #RANKING}, above the JeroMQ provider's (which has none,
 * that is 0), so that a consumer asking for kind zeromq gets this one when both are there. Configured through
 * Configuration Admin (PID {@value #PID}, {@link Config}); also a {@link java.util.ServiceLoader} provider.
 *
 * <p>The component is declared disabled: {@link LibzmqProbe} enables it only when {@code libzmq.so.5} links, so that
 * without the library no service appears and no activation fails over and over (the probe logs one WARNING).
 * On a plain module path {@link #createFactory} throws {@link TransportException} saying how to install the library.
 *
 * <p>Deactivation (bundle stopped, updated or uninstalled) closes every factory it made that is still open.
 */
@Component(name = LibzmqTransport.COMPONENT_NAME, enabled = false, service = Transport.class,
        property = {Transport.KIND_PROPERTY + "=zeromq", LibzmqTransport.IMPLEMENTATION_PROPERTY + "=libzmq",
                "service.ranking:Integer=" + LibzmqTransport.RANKING},
        configurationPid = LibzmqTransport.PID)
@Designate(ocd = LibzmqTransport.Config.class)
public final class LibzmqTransport implements Transport {
    /** The DS component name, which the probe enables. */
    public static final String COMPONENT_NAME = "io.shmq.transport.libzmq";
    /** The Configuration Admin PID of the component. */
    public static final String PID = "io.shmq.transport.libzmq";
    /** The service property that names the zeromq implementation behind a service: {@code libzmq} here. */
    public static final String IMPLEMENTATION_PROPERTY = "transport.implementation";
    /** The service ranking: above the JeroMQ provider's 0. */
    public static final int RANKING = 100;
    /** The handshake interval of every socket when none is configured: libzmq's own default, in milliseconds. */
    public static final int DEFAULT_HANDSHAKE_INTERVAL_MS = 30_000;

    /** The component's typed configuration (metatype in the bundle); each key is a factory option's default. */
    @ObjectClassDefinition(name = "shmq zeromq transport (libzmq)",
            description = "Defaults of the zeromq factories the libzmq service makes")
    public @interface Config {
        /** @return {@code zeromq.io-threads} */
        @AttributeDefinition(description = "I/O threads of a factory's libzmq context (zeromq.io-threads)")
        int io$_$threads() default 1;

        /** @return {@code zeromq.handshake-interval-ms} */
        @AttributeDefinition(description = "ZMTP handshake timeout of every socket in ms "
                + "(zeromq.handshake-interval-ms)")
        int handshake$_$interval$_$ms() default DEFAULT_HANDSHAKE_INTERVAL_MS;
    }

    private final ZeromqFactories factories = new ZeromqFactories("libzmq", DEFAULT_HANDSHAKE_INTERVAL_MS);

    /** For DS and ServiceLoader. */
    public LibzmqTransport() {
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
                ZeromqOptions.HANDSHAKE_INTERVAL_MS, Integer.toString(config.handshake$_$interval$_$ms())));
    }

    @Override
    public TransportKind kind() {
        return TransportKind.ZEROMQ;
    }

    /** @return {@code libzmq}, the value of {@value #IMPLEMENTATION_PROPERTY} */
    public String implementation() {
        return "libzmq";
    }

    @Override
    public TransportFactory createFactory(final FactoryConfig config) {
        return factories.create(config, LibzmqTransport::requireLibrary, LibzmqFactory::new);
    }

    private static void requireLibrary() {
        if (!LibZmq.available()) {
            throw new TransportException("libzmq is not available: " + LibZmq.unavailableReason()
                    + "; install it with: apt-get install libzmq5 (or use the JeroMQ provider)");
        }
    }

    /** Closes the factories this service made that are still open; called by DS when the component goes away. */
    @Deactivate
    void deactivate() {
        factories.deactivate();
    }

    @Override
    public String toString() {
        return "LibzmqTransport[kind=zeromq, implementation=libzmq"
                + (LibZmq.available() ? " " + LibZmq.version() : ", unavailable") + "]";
    }
}
