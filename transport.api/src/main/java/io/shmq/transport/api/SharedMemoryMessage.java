package io.shmq.transport.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A message of a shared-memory factory. Its payload lives in a managed segment or an unmanaged region of the
 * session, and {@link #meta()} gives the {@link MetaHeader} that locates it (FairMQ's {@code GetMeta()}).
 *
 * <p>Every message a {@link TransportKind#SHMEM} factory makes implements this interface; test with
 * {@code if (message instanceof SharedMemoryMessage shm)}. A sub-interface keeps {@link Message} free of a method
 * that other transports could not honour.
 *
 * <p>Side channel: a producer allocates messages, never sends them and keeps them open; it ships their headers out
 * of band, and consumers resolve them with {@link DataAddressResolver}. The header carries no ownership: the
 * payload lives as long as the producer keeps the message open.
 *
 * <p>{@code @ProviderType}: implemented by the shared-memory provider only.
 */
@ProviderType
public interface SharedMemoryMessage extends Message {
    /**
     * @return the header of this message's payload, by value
     * @throws TransportClosedException when the message is closed
     */
    MetaHeader meta();
}
