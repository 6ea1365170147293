package io.shmq.transport.shmem.internal.segment;

/**
 * The values of a block's {@code holder} word ({@link BlockLayout}): the block's generation in the high half, who
 * owns its only reference in the low half. The hand-over of a sent block is one CAS on this word, so exactly one
 * party gets the reference: the receiver (from the in-flight value to its own id) or the survivor that reclaims a
 * dead sender (from the same value to {@link #RECLAIMED}).
 *
 * <pre>
 *  low half            meaning
 *  1 .. 0x7FFFFFEF     the device (one join of the session) whose ledger records the reference
 *  0x7FFFFFFE          RECLAIMED: a survivor took it from a dead holder and released it
 *  0x7FFFFFFF          SHARED: more than one reference (a copy in another process, a pub copy): counted, not held
 *  0x80000000 | n      IN_FLIGHT: a send handed it to a ring record whose kind word carries nonce n (30 bits)
 * </pre>
 */
public final class Holder {
    /** The largest device holder id a session hands out; it then starts again at 1. */
    public static final int MAX_DEVICE = 0x7FFFFFEF;
    public static final int RECLAIMED = 0x7FFFFFFE;
    public static final int SHARED = 0x7FFFFFFF;
    public static final int IN_FLIGHT = 0x80000000;
    /** Bits of a send's nonce (the socket ring's kind word carries as many). */
    public static final int NONCE_MASK = 0x3FFFFFFF;

    private Holder() {
    }

    /** @return the holder word of generation {@code generation} held by {@code id} */
    public static long word(final long generation, final int id) {
        return generation << 32 | id & 0xFFFFFFFFL;
    }

    /** @return the in-flight id of nonce {@code nonce} */
    public static int inFlight(final int nonce) {
        return IN_FLIGHT | nonce & NONCE_MASK;
    }

    /** @return whether {@code id} is an in-flight id (a send handed the block to a ring record) */
    public static boolean inFlightId(final int id) {
        return (id & IN_FLIGHT) != 0;
    }

    /** @return the generation half of a holder word */
    public static long generation(final long word) {
        return word >>> 32;
    }

    /** @return the id half of a holder word */
    public static int id(final long word) {
        return (int) word;
    }

    /** @return whether {@code id} names a device (not a state) */
    public static boolean device(final int id) {
        return id > 0 && id <= MAX_DEVICE;
    }
}
