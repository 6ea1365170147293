package io.shmq.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The round-trip yardsticks between this JVM and a real second one: every reply is checked by the requester (a wrong
 * number throws), and the file goes with the requester. No time is asserted.
 */
class FfmRoundTripPeerTest {
    @TempDir
    Path scratch;

    @ParameterizedTest
    @EnumSource(value = Peer.class, names = {"FFM_RING", "FFM_REF"})
    void shouldAnswerEveryRequestAndLeaveNoFile(final Peer peer) throws Exception {
        final String address = peer.freshAddress(scratch);
        final RoundTrips.Latency latency = TwoJvm.roundTrips(peer, address, 100, 1_000, 5_000);
        assertEquals(6_000, latency.rates().count());
        assertTrue(latency.p50() > 0 && latency.p50() <= latency.p99() && latency.p99() <= latency.max(),
                latency.toString());
        assertFalse(Files.exists(Path.of(address, "round-trips")));
    }

    @Test
    void shouldRefuseASizeItCannotCarry() {
        assertThrows(IllegalArgumentException.class,
                () -> FfmRoundTripPeer.requester(FfmRoundTripPeer.BY_VALUE, scratch.toString(), 8));
        assertThrows(IllegalArgumentException.class,
                () -> FfmRoundTripPeer.requester(FfmRoundTripPeer.BY_REFERENCE, scratch.toString(), 8 << 10));
        assertFalse(Files.exists(scratch.resolve("round-trips")));
    }
}
