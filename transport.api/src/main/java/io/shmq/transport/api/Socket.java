package io.shmq.transport.api;

import java.time.Duration;
import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A socket of one {@link SocketType}, made by a {@link TransportFactory}. Used by one thread at a time, except
 * that {@link TransportFactory#interrupt()} may be called from any thread to wake it.
 *
 * <p>Transfers return a byte count ({@code >= 0}) or a negative code: {@link #ERROR}, {@link #TIMEOUT},
 * {@link #INTERRUPTED}. A timeout is in milliseconds: {@code -1} waits forever, {@code 0} tries once without
 * blocking. After a successful send the message is left empty (the sender no longer owns the payload); after a
 * failed or timed-out send it is unchanged, so nothing is lost or delivered twice. A received message replaces the
 * content of the message passed in.
 *
 * <p>Misuse throws: a message of another factory or kind, a send on a pull or sub socket, a receive on a push or
 * pub socket ({@link IllegalArgumentException} / {@link IllegalStateException}), a closed socket
 * ({@link TransportClosedException}), a bad address ({@link SocketException}).
 *
 * <p>{@code @ProviderType}: implemented by transport providers only.
 */
@ProviderType
public interface Socket extends AutoCloseable {
    /** The transfer failed (FairMQ's {@code TransferCode::error}). */
    long ERROR = -1;
    /** The transfer timed out, or could not happen at once with timeout 0 ({@code TransferCode::timeout}). */
    long TIMEOUT = -2;
    /** The factory was interrupted ({@code TransferCode::interrupted}). */
    long INTERRUPTED = -3;
    /** A timeout that waits forever. */
    long INFINITE = -1;
    /** FairMQ's default high-water mark, in messages. */
    int DEFAULT_HIGH_WATER_MARK = 1000;
    /**
     * The default linger: 10 s, not FairMQ's 500 ms, with which a device that queued a few large messages just
     * before exiting drops them. A peer that is gone holds up a factory's close for at most the linger.
     */
    Duration DEFAULT_LINGER = Duration.ofSeconds(10);
    /**
     * The longest topic prefix every provider accepts, in bytes.
     *
     * @since 1.1
     */
    int MAX_TOPIC_BYTES = 48;

    /** @return the socket's id: the factory id and the name */
    String id();

    /** @return the name given at creation, e.g. the channel name */
    String name();

    /** @return the socket's pattern */
    SocketType type();

    /**
     * @param address where to listen: {@code tcp://host:port}, {@code ipc://path}, {@code inproc://name}; which
     *                schemes a transport accepts is in its documentation
     * @throws SocketException when the address is malformed, unsupported or in use
     */
    void bind(String address);

    /**
     * @param address where to connect (same schemes as {@link #bind})
     * @throws SocketException when the address is malformed or unsupported, or its endpoint refuses this socket
     *                         (limits a transport documents: a pair's second peer, peer slots all taken, a binder
     *                         of the same sending type)
     */
    void connect(String address);

    /**
     * @param message   the message to send; emptied on success
     * @param timeoutMs {@link #INFINITE}, 0 or a positive number of milliseconds
     * @return the payload size sent, or {@link #TIMEOUT}, {@link #INTERRUPTED}, {@link #ERROR}
     */
    long send(Message message, long timeoutMs);

    /**
     * Sends and blocks until sent or interrupted.
     *
     * @param message the message to send
     * @return as {@link #send(Message, long)}
     */
    default long send(final Message message) {
        return send(message, INFINITE);
    }

    /**
     * @param message   receives the content, replacing what it held
     * @param timeoutMs {@link #INFINITE}, 0 or a positive number of milliseconds
     * @return the payload size received, or {@link #TIMEOUT}, {@link #INTERRUPTED}, {@link #ERROR}
     */
    long receive(Message message, long timeoutMs);

    /**
     * Receives and blocks until a message arrives or the factory is interrupted.
     *
     * @param message receives the content
     * @return as {@link #receive(Message, long)}
     */
    default long receive(final Message message) {
        return receive(message, INFINITE);
    }

    /**
     * Sends all parts as one unit: the receiver gets all or none.
     *
     * @param parts     at least one message; each is emptied on success
     * @param timeoutMs {@link #INFINITE}, 0 or a positive number of milliseconds
     * @return the sum of the parts' sizes, or a negative code
     */
    long send(List<Message> parts, long timeoutMs);

    /**
     * Receives one multipart unit. The list is cleared, then filled with new messages owned by the caller.
     *
     * @param parts     a modifiable list
     * @param timeoutMs {@link #INFINITE}, 0 or a positive number of milliseconds
     * @return the sum of the parts' sizes, or a negative code
     */
    long receive(List<Message> parts, long timeoutMs);

    /**
     * A {@link SocketType#SUB} socket's topic filter (ZeroMQ's rule): it receives the units whose first part starts
     * with one of its prefixes; the empty prefix matches every unit. A new sub socket is subscribed to the empty
     * prefix, as FairMQ's sub channels are (they receive everything): unsubscribe it to filter. Subscribing the same
     * prefix twice counts twice (ZeroMQ's rule): it needs two unsubscribes.
     *
     * @param prefix the bytes a first part must start with, at most {@link #MAX_TOPIC_BYTES}
     * @throws IllegalStateException    for a socket that is not a sub socket
     * @throws IllegalArgumentException for a prefix that is too long, or when a provider's table of prefixes is full
     * @since 1.1
     */
    void subscribe(byte[] prefix);

    /**
     * Removes one subscription of {@code prefix}; a prefix not subscribed is ignored.
     *
     * @param prefix the bytes given to {@link #subscribe}
     * @throws IllegalStateException for a socket that is not a sub socket
     * @since 1.1
     */
    void unsubscribe(byte[] prefix);

    /**
     * {@link #subscribe(byte[])} with the UTF-8 bytes of {@code prefix}.
     *
     * @since 1.1
     */
    default void subscribe(final String prefix) {
        subscribe(prefix.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /**
     * {@link #unsubscribe(byte[])} with the UTF-8 bytes of {@code prefix}.
     *
     * @since 1.1
     */
    default void unsubscribe(final String prefix) {
        unsubscribe(prefix.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** @return the most messages queued for sending before send blocks or times out */
    int sendHighWaterMark();

    /** @param messages at least 1 (0 is rejected: an unbounded queue is a memory leak waiting to happen) */
    void setSendHighWaterMark(int messages);

    /** @return the most messages queued for receiving */
    int receiveHighWaterMark();

    /** @param messages at least 1 */
    void setReceiveHighWaterMark(int messages);

    /** @return how long queued messages are still delivered after close, {@link #DEFAULT_LINGER} unless set */
    Duration linger();

    /** @param linger how long queued messages are still delivered after close, not negative */
    void setLinger(Duration linger);

    /** @return payload bytes sent so far */
    long bytesSent();

    /** @return payload bytes received so far */
    long bytesReceived();

    /** @return messages sent so far (a multipart unit counts once) */
    long messagesSent();

    /** @return messages received so far (a multipart unit counts once) */
    long messagesReceived();

    /**
     * Closes the socket. It returns at once; messages already accepted by send are still delivered in the
     * background for up to {@link #linger()}, and {@link TransportFactory#close()} waits for that delivery (sockets
     * linger in parallel, so at most the largest linger). Idempotent.
     */
    @Override
    void close();
}
