package io.shmq.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The receiver's trace of a stream: counting, checking and where the steady part starts. No time is asserted. */
class StreamTest {
    @Test
    void shouldCountEveryMessageUntilTheEnd() {
        final Stream.Trace trace = new Stream.Trace();
        for (long seq = 0; seq < 100; seq++) {
            trace.accept(seq, seq);
            assertFalse(trace.done());
        }
        trace.accept(Stream.END, Stream.END);
        assertTrue(trace.done());
        final Rates rates = trace.rates(System.nanoTime() - 1_000_000_000L);
        assertEquals(100, rates.count());
        assertTrue(rates.whole() > 0 && rates.steady() > 0, rates.toString());
    }

    @Test
    void shouldRejectAMessageOutOfOrderOrTorn() {
        final Stream.Trace trace = new Stream.Trace();
        trace.accept(0, 0);
        assertThrows(IllegalStateException.class, () -> trace.accept(2, 2));
        assertThrows(IllegalStateException.class, () -> trace.accept(1, 7));
    }

    @Test
    void shouldHaveNoSteadyRateWithTooFewMessages() {
        final Stream.Trace trace = new Stream.Trace();
        trace.accept(0, 0);
        trace.accept(Stream.END, Stream.END);
        assertTrue(Double.isNaN(trace.rates(System.nanoTime() - 1000).steady()));
    }

    @Test
    void shouldKeepTheMarksOfALongStreamAlignedAsTheStrideDoubles() {
        // A clock that reads the number of messages accepted so far: one message a nanosecond, exactly. A mark
        // kept for the wrong message after a doubling would move the middle and the steady rate away from 1e9.
        final long[] now = {0};
        final Stream.Trace trace = new Stream.Trace(() -> now[0]);
        final long messages = 40L * Stream.Trace.MARKS + 12_345; // five doublings and a part
        for (long seq = 0; seq < messages; seq++) {
            now[0] = seq;
            trace.accept(seq, seq);
        }
        now[0] = messages;
        trace.accept(Stream.END, Stream.END);
        final Rates rates = trace.rates(0);
        assertEquals(messages, rates.count());
        assertEquals(1e9, rates.whole(), 1e-3);
        // after the middle mark (message m, at time m): count - 1 - m messages in count - m ns
        assertEquals(1e9, rates.steady(), 1e9 / (messages / 4.0), rates.toString());
    }

    @Test
    void shouldSendUntilTheCountThenTheEnd() throws Exception {
        final long[] sent = new long[3];
        final int[] n = {0};
        final Stream.Sender sender = new Stream.Sender() {
            @Override
            public void send(final long seq) {
                sent[n[0]++] = seq;
            }

            @Override
            public void close() {
            }
        };
        Stream.sendFor(sender, 64, Long.MAX_VALUE, 2);
        assertEquals(3, n[0]);
        assertEquals(0, sent[0]);
        assertEquals(1, sent[1]);
        assertEquals(Stream.END, sent[2]);
    }

    @Test
    void shouldGiveAeronATermLongEnoughForTheMessage() {
        assertEquals("aeron:ipc", AeronPeer.channel(1 << 20));
        assertEquals("aeron:ipc?term-length=" + (128 << 20), AeronPeer.channel(16 << 20));
    }
}
