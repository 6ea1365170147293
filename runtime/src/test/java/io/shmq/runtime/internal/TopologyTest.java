package io.shmq.runtime.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shmq.devices.ChannelSpec;
import io.shmq.devices.ChannelSyntax;
import io.shmq.transport.api.ChannelMethod;
import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.TransportKind;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TopologyTest {
    @Test
    void shouldGiveEachProcessorItsOwnPairOfSharedMemoryAddresses() {
        final Topology t = Topology.of("shmem", "s", 3, 1);
        assertEquals(List.of("sampler", "processor-0", "processor-1", "processor-2", "sink"),
                List.copyOf(t.devices().keySet()));
        final List<ChannelSpec> sampler = specs(t, "sampler");
        final List<ChannelSpec> sink = specs(t, "sink");
        assertEquals(List.of("shm://s-a0", "shm://s-a1", "shm://s-a2"), addresses(sampler));
        assertEquals(List.of("shm://s-b0", "shm://s-b1", "shm://s-b2"), addresses(sink));
        for (int i = 0; i < 3; i++) {
            final List<ChannelSpec> p = specs(t, "processor-" + i);
            assertEquals(List.of("shm://s-a" + i, "shm://s-b" + i), addresses(p));
            assertEquals(ChannelMethod.CONNECT, p.get(0).config().method());
            assertEquals(ChannelMethod.BIND, p.get(1).config().method());
        }
        assertOnePusherAndOnePullerPerAddress(t);
    }

    @Test
    void shouldLetTheSamplerPushStraightToTheSinkWithoutProcessors() {
        final Topology t = Topology.of("shmem", "s", 0, 0);
        assertEquals(List.of("sampler", "sink"), List.copyOf(t.devices().keySet()));
        assertEquals(addresses(specs(t, "sampler")), addresses(specs(t, "sink")));
        assertEquals(0, specs(t, "sink").get(0).rateLogging());
        assertOnePusherAndOnePullerPerAddress(t);
    }

    @Test
    void shouldUseDistinctLoopbackTcpPortsForZeromq() {
        final Topology t = Topology.of("zeromq", "s", 2, 1);
        final Set<String> bound = new HashSet<>();
        for (final String id : t.devices().keySet()) {
            for (final ChannelSpec c : specs(t, id)) {
                assertTrue(c.config().address().startsWith("tcp://127.0.0.1:"), c.config().address());
                if (c.config().method() == ChannelMethod.BIND) {
                    assertTrue(bound.add(c.config().address()), "bound twice: " + c.config().address());
                }
            }
        }
        assertEquals(4, bound.size());
        assertOnePusherAndOnePullerPerAddress(t);
    }

    @Test
    void shouldBoundWhatTheSharedMemoryLinksHoldForLargeMessages() {
        // A link's ring holds the binder's send and receive marks, rounded up to a power of two: 1 KiB keeps
        // zeromq's 1000 (no key added); 1 MiB on two links: 256 a side, rings of 512 records, 1 GiB in all, half
        // the segment; 1 MiB on one link 512, 16 MiB on one link 32 (rings of 1024 and 64 records: 1 GiB).
        assertEquals(1000, Topology.highWaterMark(1024, 2));
        assertEquals(256, Topology.highWaterMark(1 << 20, 2));
        assertEquals(512, Topology.highWaterMark(1 << 20, 1));
        assertEquals(32, Topology.highWaterMark(16 << 20, 1));
        assertEquals(1, Topology.highWaterMark(1L << 30, 2));
        assertEquals(2048, ringRecords(1000));
        assertEquals(64, ringRecords(32));
        assertEquals(2, ringRecords(1));
        for (int links = 1; links <= 8; links++) {
            for (long size = 64; size <= 1L << 30; size = size * 3 / 2) {
                final int hwm = Topology.highWaterMark(size, links);
                if (hwm > 1) {
                    assertTrue(ringRecords(hwm) * size * links <= FactoryConfig.DEFAULT_SEGMENT_SIZE / 2,
                            "size=" + size + " links=" + links + " hwm=" + hwm);
                    assertTrue(ringRecords(hwm + 1) * size * links > FactoryConfig.DEFAULT_SEGMENT_SIZE / 2
                            || hwm == 1000, "the largest mark that fits: size=" + size + " links=" + links);
                }
            }
        }
        final Topology large = Topology.of("shmem", "s", 1, 1, 1 << 20);
        for (final String id : large.devices().keySet()) {
            for (final ChannelSpec c : specs(large, id)) {
                assertEquals(256, c.config().sendHighWaterMark(), id);
                assertEquals(256, c.config().receiveHighWaterMark(), id);
            }
        }
        for (final ChannelSpec c : specs(Topology.of("shmem", "s", 1, 1, 1024), "sink")) {
            assertEquals(1000, c.config().receiveHighWaterMark());
        }
        for (final ChannelSpec c : specs(Topology.of("zeromq", "s", 1, 1, 1 << 20), "sink")) {
            assertEquals(1000, c.config().receiveHighWaterMark(), "zeromq keeps its default");
        }
    }

    private static void assertOnePusherAndOnePullerPerAddress(final Topology t) {
        final Map<String, Integer> binds = new HashMap<>();
        final Map<String, Integer> connects = new HashMap<>();
        for (final String id : t.devices().keySet()) {
            for (final ChannelSpec c : specs(t, id)) {
                (c.config().method() == ChannelMethod.BIND ? binds : connects).merge(c.config().address(), 1,
                        Integer::sum);
            }
        }
        assertEquals(binds.keySet(), connects.keySet());
        binds.values().forEach(n -> assertEquals(1, n));
        connects.values().forEach(n -> assertEquals(1, n));
    }

    private static List<ChannelSpec> specs(final Topology t, final String id) {
        return ChannelSyntax.parse(t.devices().get(id).channels(), TransportKind.SHMEM);
    }

    private static List<String> addresses(final List<ChannelSpec> specs) {
        return specs.stream().map(c -> c.config().address()).toList();
    }

    /**
     * @return the records of the ring of a link whose binder has {@code highWaterMark} on both sides: the two marks
     * together, rounded up to a power of two, at least 2 (transport.shmem's rule, README Sockets, capacity)
     */
    private static long ringRecords(final int highWaterMark) {
        final long wanted = Math.max(2, 2L * highWaterMark);
        final long records = Long.highestOneBit(wanted);
        return records < wanted ? records << 1 : records;
    }
}
