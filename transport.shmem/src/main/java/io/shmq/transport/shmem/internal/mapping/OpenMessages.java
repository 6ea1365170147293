package io.shmq.transport.shmem.internal.mapping;










/**
 * The messages of one factory that hold a payload, so that closing the factory releases them (the API's promise;
 * without it a stopped OSGi bundle would leak its open messages into a session that goes on). Intrusive doubly
 * linked lists, striped by the registering thread so that threads rarely share a monitor: registering and
 * unregistering cost one uncontended monitor each and allocate nothing.
 *
 * <p>Whoever unlinks a message decides its fate: the owner releases it on close, the factory releases it on
 * factory close; a message unlinked by the factory is only cleared by its owner.
 */
final class OpenMessages {
    private static final int STRIPES = 16;

    /** One list and its monitor. */
    static final class Stripe {
        private ShmemMessage head;
    }

    private final Stripe[] stripes = new Stripe[STRIPES];

    OpenMessages() {
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Stripe();
        }
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

    private static void unlink(final Stripe stripe, final ShmemMessage message) {
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
