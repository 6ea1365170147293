package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.DataAddressResolver;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.MetaHeader;
import io.shmq.transport.api.MetaHeaderFrame;
import io.shmq.transport.api.RegionBlock;
import io.shmq.transport.api.RegionCallback;
import io.shmq.transport.api.RegionConfig;
import io.shmq.transport.api.SharedMemoryException;
import io.shmq.transport.api.SharedMemoryMessage;
import io.shmq.transport.api.TransportClosedException;
import io.shmq.transport.api.UnmanagedRegion;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The seed review's three tests (FairMQ PR #555), done as it asked: resolution through a second factory of the
 * session (the real attach path), an unmanaged region resolved elsewhere whose release reaches the creator, and
 * the full error matrix.
 */
class SideChannelTest {
    @RegisterExtension
    final ShmSession shm = new ShmSession();
    private final DataAddressResolver resolver = new ShmemResolver();

    private void resolveAbThroughSecondFactory(final int metadataFrameSize) {
        final ShmemFactory producer = shm.track(new ShmemFactory(shm.config("producer").build()));
        final ShmemFactory consumer = shm.track(new ShmemFactory(shm.config("consumer").build()));
        try (Message message = producer.createMessage(2)) {
            message.data().copyFrom(MemorySegment.ofArray(new byte[] {'A', 'B'}));
            final MetaHeader meta = ((SharedMemoryMessage) message).meta();
            // The header travels out of band as a (possibly expanded) metadata frame.
            final byte[] frame = MetaHeaderFrame.encode(meta, metadataFrameSize);
            assertEquals(Math.max(MetaHeader.BYTES, metadataFrameSize), frame.length);
            final MetaHeader received = MetaHeaderFrame.decode(MemorySegment.ofArray(frame), metadataFrameSize);
            final MemorySegment payload = resolver.resolve(consumer, received);
            assertEquals(2, payload.byteSize());
            assertArrayEquals(new byte[] {'A', 'B'}, payload.toArray(ValueLayout.JAVA_BYTE));
            assertEquals(payload.address(), resolver.address(consumer, received));
            // Another mapping of the same bytes: a write through one is seen through the other.
            payload.set(ValueLayout.JAVA_BYTE, 1, (byte) 'C');
            assertEquals('C', message.data().get(ValueLayout.JAVA_BYTE, 1));
        }
    }

    @Test
    void shouldResolveManagedMessageThroughSecondFactory() {
        resolveAbThroughSecondFactory(0);
    }

    @Test
    void shouldResolveManagedMessageThroughSecondFactoryWithExpandedMetadata() {
        resolveAbThroughSecondFactory(2048);
    }

    @Test
    void shouldResolveRegionMessageThroughSecondFactoryAndAcknowledgeReleaseToCreator() throws Exception {
        final ShmemFactory creator = shm.factory("creator");
        final ShmemFactory consumer = shm.factory("consumer");
        final BlockingQueue<RegionBlock> released = new LinkedBlockingQueue<>();
        final RegionCallback callback = released::add;
        try (UnmanagedRegion region = creator.createUnmanagedRegion(1 << 20, callback,
                RegionConfig.builder().linger(Duration.ofSeconds(2)).build())) {
            region.data().asSlice(4096, 2).copyFrom(MemorySegment.ofArray(new byte[] {'A', 'B'}));
            final Message message = creator.createMessage(region, 4096, 2, 77);
            final MetaHeader meta = ((SharedMemoryMessage) message).meta();
            assertEquals(region.id(), meta.regionId());
            assertEquals(4096, meta.handle());
            final MemorySegment payload = resolver.resolve(consumer, meta);
            assertArrayEquals(new byte[] {'A', 'B'}, payload.toArray(ValueLayout.JAVA_BYTE));
            // Hand the reference to the consumer (like a send) and release it there.
            consumer.adopt(creator.detach(message)).close();
            final RegionBlock block = released.poll(10, TimeUnit.SECONDS);
            assertNotNull(block, "the creator's callback fires");
            assertEquals(new RegionBlock(4096, 2, 77), block);
        }
    }

    @Test
    void shouldRefuseFactoryThatIsNotSharedMemory() {
        final SharedMemoryException e = assertThrows(SharedMemoryException.class,
                () -> resolver.resolve(new FakeZeroMqFactory(), MetaHeader.managed(2, 4096, 0)));
        assertTrue(e.getMessage().contains("zeromq"), e.getMessage());
    }

    @Test
    void shouldRejectUnknownSegmentId() {
        final ShmemFactory factory = shm.factory("a");
        final SharedMemoryException e = assertThrows(SharedMemoryException.class,
                () -> resolver.resolve(factory, MetaHeader.managed(2, 4096, 999)));
        assertTrue(e.getMessage().contains("segmentId=999 unknown in session " + shm.shmId()), e.getMessage());
    }

    @Test
    void shouldRejectUnknownRegionId() {
        final ShmemFactory factory = shm.factory("a");
        final SharedMemoryException e = assertThrows(SharedMemoryException.class,
                () -> resolver.resolve(factory, MetaHeader.region(2, 0, 4242, 0)));
        assertTrue(e.getMessage().contains("regionId=4242"), e.getMessage());
        assertTrue(e.getMessage().contains(shm.shmId()), e.getMessage());
    }

    @Test
    void shouldRejectHandlesAndSizesOutsideSegment() {
        final ShmemFactory factory = shm.factory("a");
        try (Message message = factory.createMessage(100)) {
            final MetaHeader meta = ((SharedMemoryMessage) message).meta();
            for (final MetaHeader bad : List.of(
                    MetaHeader.managed(2, ShmSession.SEGMENT_SIZE + 4096, 0),
                    MetaHeader.managed(2, -16, 0),
                    MetaHeader.managed(2, 16, 0),
                    MetaHeader.managed(2, meta.handle() + 8, 0),
                    MetaHeader.managed(Long.MAX_VALUE, meta.handle(), 0),
                    MetaHeader.managed(1 << 20, meta.handle(), 0))) {
                final SharedMemoryException e = assertThrows(SharedMemoryException.class,
                        () -> resolver.resolve(factory, bad), bad.toString());
                assertTrue(e.getMessage().contains("handle=" + bad.handle()), e.getMessage());
            }
            assertEquals(100, resolver.resolve(factory, meta).byteSize());
        }
    }

    @Test
    void shouldRejectHandlesAndSizesOutsideRegion() {
        final ShmemFactory creator = shm.factory("creator");
        final ShmemFactory consumer = shm.factory("consumer");
        try (UnmanagedRegion region = creator.createUnmanagedRegion(4096, ShmSession.IGNORE, RegionConfig.DEFAULT)) {
            for (final MetaHeader bad : List.of(MetaHeader.region(2, 4095, region.id(), 0),
                    MetaHeader.region(4097, 0, region.id(), 0), MetaHeader.region(1, -1, region.id(), 0))) {
                final SharedMemoryException e = assertThrows(SharedMemoryException.class,
                        () -> resolver.resolve(consumer, bad), bad.toString());
                assertTrue(e.getMessage().contains("regionSize=4096"), e.getMessage());
            }
            assertEquals(4096, resolver.resolve(consumer, MetaHeader.region(4096, 0, region.id(), 0)).byteSize());
        }
    }

    @Test
    void shouldResolveZeroSizeManagedToNull() {
        final ShmemFactory factory = shm.factory("a");
        assertEquals(MemorySegment.NULL, resolver.resolve(factory, MetaHeader.managed(0, -1, 0)));
        assertEquals(0L, resolver.address(factory, MetaHeader.managed(0, -1, 0)));
    }

    @Test
    void shouldRejectHeaderFromAnotherSession() {
        final ShmemFactory ours = shm.factory("ours");
        final String otherName = shm.newSession();
        final ShmemFactory theirs = shm.track(new ShmemFactory(shm.config("theirs").session(otherName).build()));
        try (Message message = theirs.createMessage(100)) {
            final MetaHeader foreign = ((SharedMemoryMessage) message).meta();
            final SharedMemoryException e = assertThrows(SharedMemoryException.class,
                    () -> resolver.resolve(ours, foreign));
            assertTrue(e.getMessage().contains("not a live block"), e.getMessage());
        }
    }

    @Test
    void shouldRejectDestroyedRegionAndNeverCacheTheMiss() {
        final ShmemFactory creator = shm.factory("creator");
        final ShmemFactory consumer = shm.factory("consumer");
        final int id = 2000;
        final MetaHeader meta = MetaHeader.region(8, 0, id, 0);
        assertThrows(SharedMemoryException.class, () -> resolver.resolve(consumer, meta), "not created yet");
        final UnmanagedRegion region = creator.createUnmanagedRegion(4096, ShmSession.IGNORE,
                RegionConfig.builder().id(id).build());
        assertEquals(8, resolver.resolve(consumer, meta).byteSize(), "same thread, after creation: success");
        region.close();
        final SharedMemoryException e = assertThrows(SharedMemoryException.class,
                () -> resolver.resolve(consumer, meta));
        assertTrue(e.getMessage().contains("unknown or destroyed"), e.getMessage());
        try (UnmanagedRegion again = creator.createUnmanagedRegion(8192, ShmSession.IGNORE,
                RegionConfig.builder().id(id).build())) {
            assertEquals(8, resolver.resolve(consumer, meta).byteSize(), "a new region of the same id resolves");
            assertEquals(again.data().byteSize(), 8192);
        }
    }

    @Test
    void shouldThrowTransportClosedAfterFactoryClosesAndNeverCrash() {
        final ShmemFactory producer = shm.factory("producer");
        final ShmemFactory consumer = shm.factory("consumer");
        try (Message message = producer.createMessage(64)) {
            final MetaHeader meta = ((SharedMemoryMessage) message).meta();
            final MemorySegment payload = resolver.resolve(consumer, meta);
            payload.fill((byte) 1);
            consumer.close();
            assertThrows(TransportClosedException.class, () -> resolver.resolve(consumer, meta));
            // Raw access to an earlier view: the FFM closed-scope check, never a crash.
            assertThrows(IllegalStateException.class, () -> payload.get(ValueLayout.JAVA_BYTE, 0));
            assertEquals(1, message.data().get(ValueLayout.JAVA_BYTE, 0), "the producer is unaffected");
        }
    }
}
