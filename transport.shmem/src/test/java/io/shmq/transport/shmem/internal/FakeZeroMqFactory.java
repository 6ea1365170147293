package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.Poller;
import io.shmq.transport.api.RegionBulkCallback;
import io.shmq.transport.api.RegionCallback;
import io.shmq.transport.api.RegionConfig;
import io.shmq.transport.api.RegionEventListener;
import io.shmq.transport.api.RegionEventSubscription;
import io.shmq.transport.api.RegionInfo;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.api.TransportFactory;
import io.shmq.transport.api.TransportKind;
import io.shmq.transport.api.UnmanagedRegion;
import java.lang.foreign.MemorySegment;
import java.util.List;

/** A test-only factory of kind ZEROMQ: the resolver must refuse it. Everything but its identity is unsupported. */
final class FakeZeroMqFactory implements TransportFactory {
    private final FactoryConfig config = FactoryConfig.of("fake-zmq", "default");

    @Override
    public String id() {
        return config.id();
    }

    @Override
    public TransportKind kind() {
        return TransportKind.ZEROMQ;
    }

    @Override
    public FactoryConfig config() {
        return config;
    }

    @Override
    public Message createMessage() {
        throw new UnsupportedOperationException();
    }

    @Override
    public Message createMessage(final long size) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Message createMessage(final long size, final long alignment) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Message createMessage(final MemorySegment source) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Message createMessage(final UnmanagedRegion region, final long offset, final long size, final long hint) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Socket createSocket(final SocketType type, final String name) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Poller createPoller(final List<Socket> sockets) {
        throw new UnsupportedOperationException();
    }

    @Override
    public UnmanagedRegion createUnmanagedRegion(final long size, final RegionCallback callback,
                                                 final RegionConfig regionConfig) {
        throw new UnsupportedOperationException();
    }

    @Override
    public UnmanagedRegion createUnmanagedRegionBulk(final long size, final RegionBulkCallback callback,
                                                 final RegionConfig regionConfig) {
        throw new UnsupportedOperationException();
    }

    @Override
    public RegionEventSubscription subscribeToRegionEvents(final RegionEventListener listener) {
        throw new UnsupportedOperationException();
    }

    @Override
    public List<RegionInfo> regionInfo() {
        return List.of();
    }

    @Override
    public void interrupt() {
    }

    @Override
    public void resume() {
    }

    @Override
    public boolean interrupted() {
        return false;
    }

    @Override
    public void reset() {
    }

    @Override
    public void close() {
    }
}
