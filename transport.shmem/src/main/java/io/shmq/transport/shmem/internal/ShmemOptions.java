package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.shmem.internal.os.ShmFiles;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The shared-memory provider's options ({@link FactoryConfig#options()} under the prefix {@value #PREFIX}), parsed
 * once per factory. Keys are kebab-case, as the zeromq provider's; an unknown key under the prefix is rejected with
 * the list of known keys; keys of other prefixes belong to other providers and are ignored.
 *
 * @param directory          {@value #DIRECTORY}: the directory of the session's files (default {@code $SHMQ_DIRECTORY}, else {@code /dev/shm})
 * @param cleanupOnClose     {@value #CLEANUP_ON_CLOSE}: whether the last factory of a session removes its files
 *                           (default {@code true})
 * @param sweepStaleSessions {@value #SWEEP_STALE_SESSIONS}: whether a new factory removes the stale sessions (no
 *                           live device, a dead one) of this user in its directory (default {@code true})
 * @param spinRounds         {@value #SPIN_ROUNDS}: busy-spin rounds of a blocked socket call or poll before it yields
 *                           (default {@value #DEFAULT_SPIN_ROUNDS}; 0 sleeps at once, saving CPU, costing latency)
 * @param yieldRounds        {@value #YIELD_ROUNDS}: {@code Thread.yield()} rounds after the spin, before the call
 *                           sleeps on its ring's futex (default {@value #DEFAULT_YIELD_ROUNDS})
 * @param regionOpenExisting {@value #REGION_OPEN_EXISTING}: whether a region with a {@code path} may open a file
 *                           that exists there (default {@code false}: such a region is refused, so that a typo never
 *                           takes over and resizes somebody's file)
 * @param allocSleep         {@value #ALLOC_WAIT} {@code sleep}: an allocation in a full segment sleeps the retry
 *                           interval between attempts, as FairMQ does; the default {@code free} waits for a free
 *                           and tries again at once, within the policy's total time
 * @param maxPeers           {@value #MAX_PEERS}: the peer slots of a req/rep, pub or pull endpoint this factory
 *                           binds (default 16, at most 32): connecting req/rep peers, subscribers, or pushes;
 *                           one past it gets a {@code SocketException} naming the limit
 * @param reclaimGraceMs     {@value #RECLAIM_GRACE_MS}: how long the payloads a dead process held stay before a
 *                           survivor releases them (default {@value #DEFAULT_RECLAIM_GRACE_MS} ms), so that a
 *                           consumer still reading a payload a dead producer kept for it reads it to the end
 */
public record ShmemOptions(Path directory, boolean cleanupOnClose, boolean sweepStaleSessions, int spinRounds,
                           int yieldRounds, boolean regionOpenExisting, boolean allocSleep, long reclaimGraceMs,
                           int maxPeers) {
    /** The prefix of this provider's keys. */
    public static final String PREFIX = "shmem.";
    /** Directory of the session's files. */
    public static final String DIRECTORY = PREFIX + "directory";
    /** Whether the last factory of a session removes its files. */
    public static final String CLEANUP_ON_CLOSE = PREFIX + "cleanup-on-close";
    /** Whether a new factory removes the stale sessions of its directory. */
    public static final String SWEEP_STALE_SESSIONS = PREFIX + "sweep-stale-sessions";
    /** Busy-spin rounds of a blocked socket call before it yields. */
    public static final String SPIN_ROUNDS = PREFIX + "spin-rounds";
    /** Yield rounds of a blocked socket call before it sleeps. */
    public static final String YIELD_ROUNDS = PREFIX + "yield-rounds";
    /** Whether a region may open an existing file at its path. */
    public static final String REGION_OPEN_EXISTING = PREFIX + "region-open-existing";
    /** How an allocation in a full segment waits: {@code free} (default) or {@code sleep}. */
    public static final String ALLOC_WAIT = PREFIX + "alloc-wait";
    /** Peer slots of an endpoint this factory binds. */
    public static final String MAX_PEERS = PREFIX + "max-peers";
    /** How long a dead process's payloads stay before they are reclaimed. */
    public static final String RECLAIM_GRACE_MS = PREFIX + "reclaim-grace-ms";
    /** The reclaim grace when none is configured. */
    public static final long DEFAULT_RECLAIM_GRACE_MS = 1000;
    /** Every key, in the order of the record's components. */
    public static final List<String> KEYS = List.of(DIRECTORY, CLEANUP_ON_CLOSE, SWEEP_STALE_SESSIONS, SPIN_ROUNDS,
            YIELD_ROUNDS, REGION_OPEN_EXISTING, ALLOC_WAIT, RECLAIM_GRACE_MS, MAX_PEERS);
    /** Spin rounds when none are configured. */
    public static final int DEFAULT_SPIN_ROUNDS = 200;
    /** Yield rounds when none are configured. */
    public static final int DEFAULT_YIELD_ROUNDS = 20;
    private static final int MAX_ROUNDS = 1_000_000;
    /**
     * The directory when none is configured: {@code $SHMQ_DIRECTORY} when that is set and not empty (a test run, or
     * a user who keeps shmq's files apart), else {@code /dev/shm}.
     */
    public static final Path DEFAULT_DIRECTORY = ShmFiles.DEFAULT_DIRECTORY;

    /** Checks the components. */
    public ShmemOptions {
        Objects.requireNonNull(directory, "directory");
        checkRounds(SPIN_ROUNDS, spinRounds);
        checkRounds(YIELD_ROUNDS, yieldRounds);
    }

    private static void checkRounds(final String key, final int value) {
        if (value < 0 || value > MAX_ROUNDS) {
            throw new IllegalArgumentException(key + " must be in [0, " + MAX_ROUNDS + "]: " + key + "=" + value);
        }
    }

    /**
     * @return the options of {@code config}
     * @throws IllegalArgumentException naming the key for an unknown key or a bad value
     */
    public static ShmemOptions of(final FactoryConfig config) {
        final Map<String, String> options = config.options();
        for (final String key : options.keySet()) {
            if (key.startsWith(PREFIX) && !KEYS.contains(key)) {
                throw new IllegalArgumentException("unknown shmem option: key=" + key + ", known=" + KEYS);
            }
        }
        final String directory = options.get(DIRECTORY);
        return new ShmemOptions(directory == null ? DEFAULT_DIRECTORY : Path.of(directory),
                bool(options, CLEANUP_ON_CLOSE, true), bool(options, SWEEP_STALE_SESSIONS, true),
                rounds(options, SPIN_ROUNDS, DEFAULT_SPIN_ROUNDS), rounds(options, YIELD_ROUNDS, DEFAULT_YIELD_ROUNDS),
                bool(options, REGION_OPEN_EXISTING, false), allocSleep(options.getOrDefault(ALLOC_WAIT, "free")),
                grace(options.get(RECLAIM_GRACE_MS)), peers(options.get(MAX_PEERS)));
    }

    private static int peers(final String value) {
        if (value == null) {
            return 16;
        }
        final int peers;
        try {
            peers = Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(MAX_PEERS + " must be an integer: " + MAX_PEERS + "=" + value, e);
        }
        if (peers < 1 || peers > 32) {
            throw new IllegalArgumentException(MAX_PEERS + " must be in [1, 32]: " + MAX_PEERS + "=" + value);
        }
        return peers;
    }

    private static long grace(final String value) {
        if (value == null) {
            return DEFAULT_RECLAIM_GRACE_MS;
        }
        final long ms;
        try {
            ms = Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(RECLAIM_GRACE_MS + " must be an integer: " + RECLAIM_GRACE_MS + "="
                    + value, e);
        }
        if (ms < 0 || ms > 3_600_000) {
            throw new IllegalArgumentException(RECLAIM_GRACE_MS + " must be in [0, 3600000]: " + RECLAIM_GRACE_MS + "="
                    + value);
        }
        return ms;
    }

    private static boolean allocSleep(final String value) {
        return switch (value.strip()) {
            case "free" -> false;
            case "sleep" -> true;
            default -> throw new IllegalArgumentException(ALLOC_WAIT + " must be free or sleep: " + ALLOC_WAIT + "="
                    + value);
        };
    }

    private static int rounds(final Map<String, String> options, final String key, final int fallback) {
        final String value = options.get(key);
        if (value == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer: " + key + "=" + value, e);
        }
    }

    private static boolean bool(final Map<String, String> options, final String key, final boolean fallback) {
        final String value = options.getOrDefault(key, Boolean.toString(fallback));
        if (!value.equals("true") && !value.equals("false")) {
            throw new IllegalArgumentException(key + " must be true or false: " + key + "=" + value);
        }
        return Boolean.parseBoolean(value);
    }
}
