package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.AllocationRetryPolicy;
import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Transport;
import io.shmq.transport.api.TransportClosedException;
import io.shmq.transport.api.TransportFactory;
import io.shmq.transport.api.TransportKind;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The shared-memory {@link Transport} service: a DS component with {@code transport.kind=shmem}, configured through
 * Configuration Admin (PID {@value #PID}, {@link Config}), and a {@link java.util.ServiceLoader} provider (public,
 * no-argument constructor, built-in defaults) for plain Java and benchmarks.
 *
 * <p>The configuration holds the defaults of the factories this service makes: a factory's own
 * {@link FactoryConfig} wins where it says something ({@code shmem.*} options it carries, a segment size or a retry
 * policy other than the API's defaults). A configuration change is applied without restarting the component
 * ({@link Modified}): factories made afterwards get the new defaults, factories already made keep theirs (their
 * session files stay where they are).
 *
 * <p>When the component is deactivated (its bundle stopped, updated or uninstalled) it closes every factory it made
 * that is still open: no mapping and no worker thread outlives the bundle's class loader, and a consumer that keeps
 * using such a factory gets {@link TransportClosedException} and rebinds to the new service.
 */
@Component(service = Transport.class, property = Transport.KIND_PROPERTY + "=shmem", configurationPid = ShmemTransport.PID)
@Designate(ocd = ShmemTransport.Config.class)
public final class ShmemTransport implements Transport {
    /** The Configuration Admin PID of the component. */
    public static final String PID = "io.shmq.transport.shmem";

    /** The component's typed configuration (metatype in the bundle); each key is a factory option's default. */
    @ObjectClassDefinition(name = "shmq shared-memory transport",
            description = "Defaults of the shared-memory factories this service makes")
    public @interface Config {
        /** @return {@code shmem.directory}: the directory of the session files */
        @AttributeDefinition(description = "Directory of the session files (shmem.directory); empty: "
                + "$SHMQ_DIRECTORY, else /dev/shm")
        String directory() default "";

        /** @return the managed segment size of a session this service creates */
        @AttributeDefinition(description = "Managed segment size in bytes of a new session (FairMQ's "
                + "--shm-segment-size)")
        long segment$_$size() default FactoryConfig.DEFAULT_SEGMENT_SIZE;

        /** @return how many times a full segment is tried (FairMQ's bad-alloc-max-attempts); 1 throws at once */
        @AttributeDefinition(description = "Allocation attempts when the segment is full; 1 throws at once")
        int alloc$_$attempts() default 1;

        /** @return the pause between two attempts (FairMQ's bad-alloc-attempt-interval) */
        @AttributeDefinition(description = "Milliseconds between two allocation attempts")
        long alloc$_$interval$_$ms() default 50;

        /** @return {@code shmem.cleanup-on-close} */
        @AttributeDefinition(description = "The last factory of a session removes its files (shmem.cleanup-on-close)")
        boolean cleanup$_$on$_$close() default true;

        /** @return {@code shmem.sweep-stale-sessions} */
        @AttributeDefinition(description = "A new factory removes this user's stale sessions of its directory "
                + "(shmem.sweep-stale-sessions)")
        boolean sweep$_$stale$_$sessions() default true;

        /** @return {@code shmem.spin-rounds} */
        @AttributeDefinition(description = "Busy-spin rounds of a blocked socket call (shmem.spin-rounds)")
        int spin$_$rounds() default ShmemOptions.DEFAULT_SPIN_ROUNDS;

        /** @return {@code shmem.yield-rounds} */
        @AttributeDefinition(description = "Yield rounds after the spin, before the futex sleep (shmem.yield-rounds)")
        int yield$_$rounds() default ShmemOptions.DEFAULT_YIELD_ROUNDS;

        /** @return {@code shmem.region-open-existing} */
        @AttributeDefinition(description = "A region with a path may open a file that exists there "
                + "(shmem.region-open-existing)")
        boolean region$_$open$_$existing() default false;

        /** @return {@code shmem.alloc-wait} */
        @AttributeDefinition(description = "How an allocation in a full segment waits within the retry policy: "
                + "free (wait for a free, default) or sleep (FairMQ's sleep between attempts)")
        String alloc$_$wait() default "free";

        /** @return {@code shmem.reclaim-grace-ms} */
        @AttributeDefinition(description = "How long the payloads a dead process held stay before a survivor "
                + "releases them, in ms (shmem.reclaim-grace-ms)")
        long reclaim$_$grace$_$ms() default ShmemOptions.DEFAULT_RECLAIM_GRACE_MS;

        /** @return {@code shmem.max-peers} */
        @AttributeDefinition(description = "Peer slots of a req/rep, pub or pull endpoint a factory binds, 1..32 "
                + "(shmem.max-peers)")
        int max$_$peers() default 16;
    }

    /** @return the configured directory, or the default one when the configuration leaves it empty */
    static java.nio.file.Path directoryOf(final Config config) {
        return config.directory().isBlank() ? ShmemOptions.DEFAULT_DIRECTORY : java.nio.file.Path.of(config.directory());
    }

    /** What the configuration adds to a factory's configuration. */
    private record Defaults(Map<String, String> options, long segmentSize, AllocationRetryPolicy retry) {
        static final Defaults BUILT_IN = new Defaults(Map.of(), FactoryConfig.DEFAULT_SEGMENT_SIZE,
                AllocationRetryPolicy.THROW);

        static Defaults of(final Config config) {
            final Map<String, String> options = new LinkedHashMap<>();
            options.put(ShmemOptions.DIRECTORY, directoryOf(config).toString());
            options.put(ShmemOptions.CLEANUP_ON_CLOSE, Boolean.toString(config.cleanup$_$on$_$close()));
            options.put(ShmemOptions.SWEEP_STALE_SESSIONS, Boolean.toString(config.sweep$_$stale$_$sessions()));
            options.put(ShmemOptions.SPIN_ROUNDS, Integer.toString(config.spin$_$rounds()));
            options.put(ShmemOptions.YIELD_ROUNDS, Integer.toString(config.yield$_$rounds()));
            options.put(ShmemOptions.REGION_OPEN_EXISTING, Boolean.toString(config.region$_$open$_$existing()));
            options.put(ShmemOptions.ALLOC_WAIT, config.alloc$_$wait());
            options.put(ShmemOptions.RECLAIM_GRACE_MS, Long.toString(config.reclaim$_$grace$_$ms()));
            options.put(ShmemOptions.MAX_PEERS, Integer.toString(config.max$_$peers()));
            final AllocationRetryPolicy retry = config.alloc$_$attempts() <= 1 ? AllocationRetryPolicy.THROW
                    : AllocationRetryPolicy.retry(config.alloc$_$attempts(),
                    Duration.ofMillis(config.alloc$_$interval$_$ms()));
            final Defaults defaults = new Defaults(Map.copyOf(options), config.segment$_$size(), retry);
            // Refuse a bad configuration now, naming the key, rather than at every createFactory.
            ShmemOptions.of(defaults.apply(FactoryConfig.of("configuration", FactoryConfig.DEFAULT_SESSION)));
            return defaults;
        }

        FactoryConfig apply(final FactoryConfig config) {
            final FactoryConfig.Builder builder = config.toBuilder();
            options.forEach((key, value) -> {
                if (!config.options().containsKey(key)) {
                    builder.option(key, value);
                }
            });
            if (config.segmentSize() == FactoryConfig.DEFAULT_SEGMENT_SIZE) {
                builder.segmentSize(segmentSize);
            }
            if (config.allocationRetry().equals(AllocationRetryPolicy.THROW)) {
                builder.allocationRetry(retry);
            }
            return builder.build();
        }
    }

    private final Set<ShmemFactory> factories = new HashSet<>();
    private volatile Defaults defaults = Defaults.BUILT_IN;
    private boolean deactivated;

    /** Creates the service with the built-in defaults (plain Java, ServiceLoader). */
    public ShmemTransport() {
    }

    /** DS: the first configuration (or the annotation's defaults when there is none). */
    @Activate
    void activate(final Config config) {
        defaults = Defaults.of(config);
    }

    /** DS: a changed configuration; applies to factories made from now on, without a restart. */
    @Modified
    void modified(final Config config) {
        defaults = Defaults.of(config);
    }

    @Override
    public TransportKind kind() {
        return TransportKind.SHMEM;
    }

    @Override
    public synchronized TransportFactory createFactory(final FactoryConfig config) {
        if (deactivated) {
            throw new TransportClosedException("the shmem transport service was deactivated: cannot create factory id="
                    + config.id());
        }
        factories.removeIf(ShmemFactory::isClosed);
        final ShmemFactory factory = new ShmemFactory(defaults.apply(config));
        factories.add(factory);
        return factory;
    }

    /** Closes the factories this service made that are still open; called by DS when the component goes away. */
    @Deactivate
    synchronized void deactivate() {
        deactivated = true;
        for (final ShmemFactory factory : factories) {
            factory.close();
        }
        factories.clear();
    }
}
