package io.shmq.transport.api;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The configuration of one {@link TransportFactory}: the device's id, the session it joins and provider options.
 *
 * <p>Factories with the same {@code session} (and, for shared memory, the same user) share their shared-memory
 * objects; factories of different sessions never see each other's. The id and the session may not be empty and
 * may not contain {@code /}, {@code ..} or control characters, because the shared-memory provider derives file
 * names from them.
 *
 * @param id                the device id, used in log lines and heartbeats
 * @param session           the session name (FairMQ's {@code --session}, default {@value #DEFAULT_SESSION})
 * @param segmentSize       the size of a managed segment in bytes; the first factory of a session decides it
 *                          (FairMQ's {@code --shm-segment-size}, default 2 GiB, mapped sparse)
 * @param allocationRetry   what happens when a managed segment is full
 * @param options           provider-specific options (keys prefixed by the kind, e.g. {@code shmem.directory});
 *                          a provider rejects a key of its own prefix that it does not know
 */
public record FactoryConfig(String id, String session, long segmentSize, AllocationRetryPolicy allocationRetry,
                            Map<String, String> options) {
    /** FairMQ's default session name. */
    public static final String DEFAULT_SESSION = "default";
    /** FairMQ's default managed segment size: 2 GiB. */
    public static final long DEFAULT_SEGMENT_SIZE = 2L << 30;

    /** Validates the configuration and freezes the options. */
    public FactoryConfig {
        checkName("id", id);
        checkName("session", session);
        Objects.requireNonNull(allocationRetry, "allocationRetry");
        if (segmentSize <= 0) {
            throw new IllegalArgumentException("segmentSize must be positive: segmentSize=" + segmentSize);
        }
        options = Map.copyOf(Objects.requireNonNull(options, "options"));
    }

    /**
     * @param id      the device id
     * @param session the session name
     * @return a configuration with FairMQ's defaults
     */
    public static FactoryConfig of(final String id, final String session) {
        return builder(id).session(session).build();
    }

    /**
     * @param id the device id
     * @return a builder with FairMQ's defaults
     */
    public static Builder builder(final String id) {
        return new Builder(id);
    }

    /**
     * @param key          an option key
     * @param defaultValue the value when the option is not set
     * @return the option's value, or {@code defaultValue}
     */
    public String option(final String key, final String defaultValue) {
        return options.getOrDefault(key, defaultValue);
    }

    /** @return a builder holding this configuration */
    public Builder toBuilder() {
        final Builder builder = new Builder(id).session(session).segmentSize(segmentSize)
                .allocationRetry(allocationRetry);
        builder.options.putAll(options);
        return builder;
    }

    private static void checkName(final String what, final String value) {
        Objects.requireNonNull(value, what);
        if (value.isEmpty() || value.contains("/") || value.contains("\\") || value.contains("..")
                || value.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException(what + " must be non-empty without '/', '\\', '..' or control "
                    + "characters: " + what + "='" + value + "'");
        }
    }

    /** Builds a {@link FactoryConfig}; starts from FairMQ's defaults. */
    public static final class Builder {
        private final String id;
        private String session = DEFAULT_SESSION;
        private long segmentSize = DEFAULT_SEGMENT_SIZE;
        private AllocationRetryPolicy allocationRetry = AllocationRetryPolicy.THROW;
        private final Map<String, String> options = new TreeMap<>();

        private Builder(final String id) {
            this.id = id;
        }

        /** @param value the session name @return this */
        public Builder session(final String value) {
            this.session = value;
            return this;
        }

        /** @param value the managed segment size in bytes @return this */
        public Builder segmentSize(final long value) {
            this.segmentSize = value;
            return this;
        }

        /** @param value the allocation retry policy @return this */
        public Builder allocationRetry(final AllocationRetryPolicy value) {
            this.allocationRetry = value;
            return this;
        }

        /** @param key a provider option key @param value its value @return this */
        public Builder option(final String key, final String value) {
            options.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** @return the validated configuration */
        public FactoryConfig build() {
            return new FactoryConfig(id, session, segmentSize, allocationRetry, options);
        }
    }
}
