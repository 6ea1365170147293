package io.shmq.transport.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ConfigRecordsTest {
    @Test
    void shouldStartFromFairMqDefaults() {
        final FactoryConfig config = FactoryConfig.builder("sampler").build();
        assertEquals("default", config.session());
        assertEquals(2L << 30, config.segmentSize());
        assertEquals(AllocationRetryPolicy.THROW, config.allocationRetry());
        assertEquals("x", config.option("shmem.directory", "x"));
        assertEquals(config, config.toBuilder().build());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a/b", "..", "x..y", "a\\b", "tab\there"})
    void shouldRejectSessionNamesThatCouldEscapeTheDirectory(final String session) {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FactoryConfig.of("dev", session));
        assertTrue(e.getMessage().contains("session="), e.getMessage());
    }

    @Test
    void shouldRejectBadSizesAndFrameSizes() {
        assertThrows(IllegalArgumentException.class, () -> FactoryConfig.builder("d").segmentSize(0).build());
        // The frame size moved from the factory configuration to the codec, where metadata frames are made.
        assertThrows(IllegalArgumentException.class, () -> MetaHeaderFrame.singleLength(39));
        assertThrows(IllegalArgumentException.class,
                () -> MetaHeaderFrame.multipartLength(1, MetaHeaderFrame.MAX_FRAME_SIZE + 1));
        assertEquals(2048, MetaHeaderFrame.singleLength(2048));
    }

    @Test
    void shouldBoundRetries() {
        assertThrows(IllegalArgumentException.class, () -> AllocationRetryPolicy.retry(0, Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> AllocationRetryPolicy.retry(2, Duration.ofMillis(-1)));
        assertEquals(5, AllocationRetryPolicy.retry(5, Duration.ofMillis(50)).maxAttempts());
    }

    @Test
    void shouldMapKindAndTypeNames() {
        assertEquals(TransportKind.SHMEM, TransportKind.fromConfigName("SHMEM"));
        assertEquals("zeromq", TransportKind.ZEROMQ.configName());
        assertEquals(SocketType.PUB, SocketType.fromConfigName("pub"));
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TransportKind.fromConfigName("nanomsg"));
        assertTrue(e.getMessage().contains("known=shmem,zeromq"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SocketType.fromConfigName(null));
    }

    @Test
    void shouldValidateRegionConfig() {
        assertEquals(RegionConfig.AUTO_ID, RegionConfig.DEFAULT.id());
        assertEquals(Duration.ofMillis(100), RegionConfig.DEFAULT.linger());
        assertTrue(RegionConfig.DEFAULT.removeOnDestruction());
        assertThrows(IllegalArgumentException.class, () -> RegionConfig.builder().id(65536).build());
        assertThrows(IllegalArgumentException.class,
                () -> RegionConfig.builder().linger(Duration.ofMillis(-1)).build());
        assertEquals(7, RegionConfig.builder().id(7).build().id());
    }

    @Test
    void shouldValidateChannelConfig() {
        final ChannelConfig channel = ChannelConfig.of("data", SocketType.PUSH, ChannelMethod.BIND,
                "tcp://127.0.0.1:0");
        assertEquals(1000, channel.sendHighWaterMark());
        assertThrows(IllegalArgumentException.class, () -> new ChannelConfig("data", SocketType.PUSH,
                ChannelMethod.BIND, "x", 0, 1, Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> new RegionBlock(-1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new RegionInfo(false, 70000, 1, 0, RegionEvent.CREATED));
    }
}
