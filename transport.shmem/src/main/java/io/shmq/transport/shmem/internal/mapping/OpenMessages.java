package io.shmq.transport.shmem.internal.mapping;

/**
 * The messages of one factory that hold a payload, so that closing the factory releases them (the API's promise;
 * without it a stopped OSGi bundle would leak its open messages into a session that goes on). Intrusive doubly
 * linked lists, striped by the registering thread so that threads rarely share a monitor: registering and
 * unregistering cost one uncontended monitor each and allocate nothing.
 *
 * <p>Whoever unlinks a message decides its fate: the owner releases it on close, the factory releases it on
 * factory close; a message unlinked by the factory is only cleared by its owner.
 *
 * <p>The same monitor guards the message's entry in the factory's {@link Ledger}: each stripe owns a range of
 * entries and a stack of free ones, so recording a payload costs a few plain stores into this process's ledger
 * file and no shared cache line.
 */
final class OpenMessages {
    private static final int STRIPES = 16;

    /** One list, its ledger range and its monitor. */
    static final class Stripe {
        private ShmemMessage head;
        /** The first entry of this stripe's range in the ledger. */
        private final int base;
        /** Entries of the range used so far (the free stack holds those given back). */
        private int used;
        /** Entries of the range whose file blocks are reserved. */
        private int reserved;
        private int[] free = new int[64];
        private int freeCount;

        Stripe(final int base) {
            this.base = base;
        }

        /** @return a ledger entry for a new message, or -1 when the range is full or cannot be reserved */
        int claim(final Ledger ledger) {
            if (freeCount > 0) {
                return free[--freeCount];
            }
            if (used == Ledger.STRIPE_ENTRIES) {
                return -1;
            }
            if (used == reserved) {
                if (!ledger.reserve(base + reserved)) {
                    return -1;
                }
                reserved += Ledger.reserveStep();
            }
            return base + used++;
        }

        void giveBack(final int index) {
            if (freeCount == free.length) {
                free = java.util.Arrays.copyOf(free, free.length * 2);
            }
            free[freeCount++] = index;
        }
    }

    private final Stripe[] stripes = new Stripe[STRIPES];
    private final Ledger ledger;

    /** @param ledger the factory's ledger, or null to record nothing */
    OpenMessages(final Ledger ledger) {
        this.ledger = ledger;
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Stripe(i * Ledger.STRIPE_ENTRIES);
        }
    }

    /** @return how many stripes (ledger ranges) there are */
    static int stripes() {
        return STRIPES;
    }

    void add(final ShmemMessage message) {
        final Stripe stripe = stripes[(int) Thread.currentThread().threadId() & (STRIPES - 1)];
        synchronized (stripe) {
            final ShmemMessage head = stripe.head;
            message.prevOpen = null;
            message.nextOpen = head;
            if (head != null) {
                head.prevOpen = message;
            }
            stripe.head = message;
            message.stripe = stripe;
            if (ledger != null) {
                final int entry = stripe.claim(ledger);
                message.ledgerEntry = entry;
                if (entry >= 0) {
                    message.record(ledger, entry);
                }
            }
        }
    }

    /**
     * Clears the message's ledger entry while it keeps its payload and its entry: a send calls this just before it
     * publishes the payload's header to a ring, whose consumer owns the reference from the publish on. A process
     * killed between the two then leaks the reference; the other order would let a survivor release a reference the
     * consumer holds. A send that fails records it again ({@link #rerecord}).
     */
    void unrecord(final ShmemMessage message) {
        final int entry = message.ledgerEntry;
        if (entry >= 0 && ledger != null) {
            ledger.clear(entry);
        }
    }

    /** Writes the message's ledger entry again (its shared counter changed, or its send failed). */
    void rerecord(final ShmemMessage message) {
        final Stripe stripe = message.stripe;
        if (stripe == null || ledger == null) {
            return;
        }
        synchronized (stripe) {
            if (message.stripe == stripe && message.ledgerEntry >= 0) {
                message.record(ledger, message.ledgerEntry);
            }
        }
    }

    /** @return true when this call unlinked the message; false when the factory already released it */
    boolean remove(final ShmemMessage message) {
        final Stripe stripe = message.stripe;
        if (stripe == null) {
            return false;
        }
        synchronized (stripe) {
            if (message.stripe != stripe) {
                return false;
            }
            unlink(stripe, message);
            return true;
        }
    }

    private void unlink(final Stripe stripe, final ShmemMessage message) {
        final int entry = message.ledgerEntry;
        if (entry >= 0) {
            ledger.clear(entry);
            stripe.giveBack(entry);
            message.ledgerEntry = -1;
        }
        final ShmemMessage previous = message.prevOpen;
        final ShmemMessage next = message.nextOpen;
        if (previous == null) {
            stripe.head = next;
        } else {
            previous.nextOpen = next;
        }
        if (next != null) {
            next.prevOpen = previous;
        }
        message.prevOpen = null;
        message.nextOpen = null;
        message.stripe = null;
    }

    /** Releases every registered message; returns how many. */
    int releaseAll() {
        int released = 0;
        for (final Stripe stripe : stripes) {
            synchronized (stripe) {
                while (stripe.head != null) {
                    final ShmemMessage message = stripe.head;
                    unlink(stripe, message);
                    message.releaseByFactory();
                    released++;
                }
            }
        }
        return released;
    }
}
