package io.shmq.transport.api;

import java.time.Duration;
import java.util.Objects;

/**
 * How an unmanaged region is created (FairMQ's {@code RegionConfig}).
 *
 * @param lock                lock the pages in memory ({@code mlock}); best effort, a refusal is logged
 * @param zero                fill the region with zeros at creation
 * @param removeOnDestruction remove the backing file when the region is closed
 * @param creationFlags       provider-specific creation flags (0 for none)
 * @param userFlags           opaque flags reported back in {@link RegionInfo#flags()}
 * @param id                  a fixed region id in [0, 65535], or {@link #AUTO_ID} for the next free id from
 *                            {@value #FIRST_AUTO_ID} up
 * @param path                a backing file path, or empty for a file in the session's shared-memory directory
 * @param linger              how long closing the region waits for outstanding acknowledgements
 */
public record RegionConfig(boolean lock, boolean zero, boolean removeOnDestruction, int creationFlags,
                           long userFlags, int id, String path, Duration linger) {
    /** The {@code id} that asks for an automatic id. */
    public static final int AUTO_ID = -1;
    /** The first automatic region id, as in FairMQ. */
    public static final int FIRST_AUTO_ID = 1024;
    /** FairMQ's default linger: 100 ms. */
    public static final Duration DEFAULT_LINGER = Duration.ofMillis(100);
    /** The defaults: no lock, no zeroing, removed on destruction, automatic id, shared-memory file, 100 ms. */
    public static final RegionConfig DEFAULT = builder().build();

    /** Validates the configuration. */
    public RegionConfig {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(linger, "linger");
        if (id != AUTO_ID && (id < 0 || id > MetaHeader.MAX_ID)) {
            throw new IllegalArgumentException("id must be " + AUTO_ID + " or a u16: id=" + id);
        }
        if (linger.isNegative()) {
            throw new IllegalArgumentException("linger must not be negative: linger=" + linger);
        }
    }

    /** @return a builder with the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link RegionConfig}. */
    public static final class Builder {
        private boolean lock;
        private boolean zero;
        private boolean removeOnDestruction = true;
        private int creationFlags;
        private long userFlags;
        private int id = AUTO_ID;
        private String path = "";
        private Duration linger = DEFAULT_LINGER;

        private Builder() {
        }

        /** @param value lock the pages @return this */
        public Builder lock(final boolean value) {
            this.lock = value;
            return this;
        }

        /** @param value zero the region @return this */
        public Builder zero(final boolean value) {
            this.zero = value;
            return this;
        }

        /** @param value remove the file on close @return this */
        public Builder removeOnDestruction(final boolean value) {
            this.removeOnDestruction = value;
            return this;
        }

        /** @param value provider-specific creation flags @return this */
        public Builder creationFlags(final int value) {
            this.creationFlags = value;
            return this;
        }

        /** @param value opaque user flags @return this */
        public Builder userFlags(final long value) {
            this.userFlags = value;
            return this;
        }

        /** @param value a fixed id in [0, 65535] @return this */
        public Builder id(final int value) {
            this.id = value;
            return this;
        }

        /** @param value a backing file path @return this */
        public Builder path(final String value) {
            this.path = value;
            return this;
        }

        /** @param value the close linger @return this */
        public Builder linger(final Duration value) {
            this.linger = value;
            return this;
        }

        /** @return the validated configuration */
        public RegionConfig build() {
            return new RegionConfig(lock, zero, removeOnDestruction, creationFlags, userFlags, id, path, linger);
        }
    }
}
