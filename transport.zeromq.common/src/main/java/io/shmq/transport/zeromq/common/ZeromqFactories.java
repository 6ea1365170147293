package io.shmq.transport.zeromq.common;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.TransportClosedException;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * The factories a zeromq {@code Transport} service made, and the option defaults it got from Configuration Admin:
 * what both providers' DS components do around their factories. A factory's own {@code zeromq.*} options win over
 * the defaults; a new configuration applies to factories made afterwards. Deactivation closes every factory still
 * open, so that no context thread outlives the bundle, and refuses new ones with
 * {@link TransportClosedException}.
 */
public final class ZeromqFactories {
    private final String service;
    private final int defaultHandshakeIntervalMs;
    private final Set<ZeromqFactoryBase<?, ?>> factories = new HashSet<>();
    private volatile Map<String, String> defaults = Map.of();
    private boolean deactivated;

    /**
     * @param service                    the service's name in messages ({@code zeromq}, {@code libzmq})
     * @param defaultHandshakeIntervalMs the provider's handshake interval when no option names one
     */
    public ZeromqFactories(final String service, final int defaultHandshakeIntervalMs) {
        this.service = service;
        this.defaultHandshakeIntervalMs = defaultHandshakeIntervalMs;
    }

    /**
     * Takes new defaults (DS activate and modified), refusing a bad configuration now, naming the key, rather than
     * at every factory.
     *
     * @param options the defaults, keyed as factory options
     * @throws IllegalArgumentException naming the key for an unknown key or a bad value
     */
    public void configure(final Map<String, String> options) {
        final FactoryConfig.Builder check = FactoryConfig.builder("configuration");
        options.forEach(check::option);
        ZeromqOptions.of(check.build(), defaultHandshakeIntervalMs);
        defaults = options;
    }

    /**
     * Makes a factory, unless the service was deactivated.
     *
     * @param config the factory's own configuration
     * @param ready  a further check before the options are read (the libzmq provider's: the library is there)
     * @param make   makes the factory from the merged configuration and its options
     * @return the factory, closed by {@link #deactivate()} if still open then
     */
    public synchronized ZeromqFactoryBase<?, ?> create(final FactoryConfig config, final Runnable ready,
                                                 final BiFunction<FactoryConfig, ZeromqOptions,
                                                         ? extends ZeromqFactoryBase<?, ?>> make) {
        if (deactivated) {
            throw new TransportClosedException("the " + service + " transport service was deactivated: cannot create"
                    + " factory id=" + config.id());
        }
        ready.run();
        final FactoryConfig.Builder effective = config.toBuilder();
        defaults.forEach((key, value) -> {
            if (!config.options().containsKey(key)) {
                effective.option(key, value);
            }
        });
        final FactoryConfig merged = effective.build();
        final ZeromqOptions options = ZeromqOptions.of(merged, defaultHandshakeIntervalMs);
        factories.removeIf(ZeromqFactoryBase::isClosed);
        final ZeromqFactoryBase<?, ?> factory = make.apply(merged, options);
        factories.add(factory);
        return factory;
    }

    /** Closes the factories still open and refuses new ones; called when the DS component goes away. */
    public synchronized void deactivate() {
        deactivated = true;
        for (final ZeromqFactoryBase<?, ?> factory : factories) {
            factory.close();
        }
        factories.clear();
    }
}
