package io.shmq.transport.libzmq.internal;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Every native call of the provider, as FFM downcalls: libzmq ({@code libzmq.so.5}, found with
 * {@link SymbolLookup#libraryLookup(String, Arena)}, falling back to {@code libzmq.so}; the system property
 * {@value #LIBRARY_PROPERTY} names another file) and the few libc calls the
 * payloads and the wake-ups need ({@code aligned_alloc}, {@code free}, {@code malloc}, {@code eventfd},
 * {@code read}, {@code write}, {@code close}).
 *
 * <p>Linking happens once, in the static initialiser, and never throws: when the library is missing or native
 * access is denied, {@link #available()} is false and {@link #unavailableReason()} says why; the OSGi probe then
 * leaves the transport component disabled ({@link LibzmqProbe}).
 *
 * <p>Calls that return at once (message bookkeeping, allocation, every send and receive, which always run with
 * {@code ZMQ_DONTWAIT}) are linked {@link Linker.Option#critical(boolean) critical}: no thread-state transition,
 * which halves the cost of a tiny call. Only {@code zmq_poll}, {@code zmq_ctx_term}, {@code zmq_close},
 * {@code zmq_bind} and {@code zmq_connect} may wait, and they are linked normally.
 *
 * <p>Byte order and layouts are the host's ({@code zmq_msg_t} is 64 opaque bytes, {@code zmq_pollitem_t} is
 * {@link #POLLITEM}).
 */
final class LibZmq {
    /** A system property naming the library to load instead (a file name for dlopen or a path). */
    static final String LIBRARY_PROPERTY = "shmq.libzmq.library";
    // Socket types (zmq.h).
    static final int ZMQ_PAIR = 0;
    static final int ZMQ_PUB = 1;
    static final int ZMQ_SUB = 2;
    static final int ZMQ_REQ = 3;
    static final int ZMQ_REP = 4;
    static final int ZMQ_PULL = 7;
    static final int ZMQ_PUSH = 8;
    // Context options.
    static final int ZMQ_IO_THREADS = 1;
    // Socket options.
    static final int ZMQ_SUBSCRIBE = 6;
    static final int ZMQ_UNSUBSCRIBE = 7;
    static final int ZMQ_LINGER = 17;
    static final int ZMQ_SNDHWM = 23;
    static final int ZMQ_RCVHWM = 24;
    static final int ZMQ_HANDSHAKE_IVL = 66;
    static final int ZMQ_REQ_CORRELATE = 52;
    static final int ZMQ_REQ_RELAXED = 53;
    // Flags and events.
    static final int ZMQ_DONTWAIT = 1;
    static final int ZMQ_SNDMORE = 2;
    static final short ZMQ_POLLIN = 1;
    static final short ZMQ_POLLOUT = 2;
    // Error numbers: Linux errno values and libzmq's own above ZMQ_HAUSNUMERO.
    static final int EINTR = 4;
    static final int EAGAIN = 11;
    static final int ENOTSOCK = 88;
    private static final int ZMQ_HAUSNUMERO = 156384712;
    static final int EFSM = ZMQ_HAUSNUMERO + 51;
    static final int ETERM = ZMQ_HAUSNUMERO + 53;

    /** {@code sizeof(zmq_msg_t)}: 64 opaque bytes, 8-aligned (zmq.h). */
    static final long MSG_BYTES = 64;

    /** {@code zmq_pollitem_t} on Linux: the socket, a file descriptor, the events asked and the events found. */
    static final StructLayout POLLITEM = MemoryLayout.structLayout(
            ADDRESS.withName("socket"),
            JAVA_INT.withName("fd"),
            JAVA_SHORT.withName("events"),
            JAVA_SHORT.withName("revents"));
    private static final VarHandle ITEM_SOCKET = POLLITEM.arrayElementVarHandle(groupElement("socket"));
    private static final VarHandle ITEM_FD = POLLITEM.arrayElementVarHandle(groupElement("fd"));
    private static final VarHandle ITEM_EVENTS = POLLITEM.arrayElementVarHandle(groupElement("events"));
    private static final VarHandle ITEM_REVENTS = POLLITEM.arrayElementVarHandle(groupElement("revents"));

    private static final int EFD_NONBLOCK = 0x800;
    private static final int EFD_CLOEXEC = 0x80000;

    private static final boolean AVAILABLE;
    private static final String UNAVAILABLE_REASON;
    private static final String LIBRARY;
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    private static final MethodHandle VERSION;
    private static final MethodHandle CTX_NEW;
    private static final MethodHandle CTX_SET;
    private static final MethodHandle CTX_TERM;
    private static final MethodHandle SOCKET;
    private static final MethodHandle CLOSE;
    private static final MethodHandle BIND;
    private static final MethodHandle CONNECT;
    private static final MethodHandle SETSOCKOPT;
    private static final MethodHandle ERRNO;
    private static final MethodHandle STRERROR;
    private static final MethodHandle SEND;
    private static final MethodHandle MSG_INIT;
    private static final MethodHandle MSG_INIT_DATA;
    private static final MethodHandle MSG_SEND;
    private static final MethodHandle MSG_RECV;
    private static final MethodHandle MSG_CLOSE;
    private static final MethodHandle MSG_MOVE;
    private static final MethodHandle MSG_COPY;
    private static final MethodHandle MSG_DATA;
    private static final MethodHandle MSG_SIZE;
    private static final MethodHandle MSG_MORE;
    private static final MethodHandle POLL;
    private static final MethodHandle ALIGNED_ALLOC;
    private static final MethodHandle MALLOC;
    private static final MethodHandle FREE;
    private static final MethodHandle EVENTFD;
    private static final MethodHandle READ;
    private static final MethodHandle WRITE;
    private static final MethodHandle FD_CLOSE;
    /** libc's {@code free}, handed to {@code zmq_msg_init_data} as the deallocator of our payloads. */
    static final MemorySegment FREE_FN;

    static {
        final MethodHandle[] h = new MethodHandle[30];
        MemorySegment freeFn = MemorySegment.NULL;
        String reason = null;
        String library = null;
        try {
            final Linker linker = Linker.nativeLinker();
            SymbolLookup zmq;
            final String override = System.getProperty(LIBRARY_PROPERTY);
            if (override != null) {
                zmq = SymbolLookup.libraryLookup(override, Arena.global());
                library = override;
            } else {
                try {
                    zmq = SymbolLookup.libraryLookup("libzmq.so.5", Arena.global());
                    library = "libzmq.so.5";
                } catch (final IllegalArgumentException e) {
                    zmq = SymbolLookup.libraryLookup("libzmq.so", Arena.global());
                    library = "libzmq.so";
                }
            }
            final SymbolLookup libc = linker.defaultLookup();
            final Linker.Option critical = Linker.Option.critical(false);
            int i = 0;
            h[i++] = link(linker, zmq, "zmq_version", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, ADDRESS));
            h[i++] = link(linker, zmq, "zmq_ctx_new", FunctionDescriptor.of(ADDRESS));
            h[i++] = link(linker, zmq, "zmq_ctx_set", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
            h[i++] = link(linker, zmq, "zmq_ctx_term", FunctionDescriptor.of(JAVA_INT, ADDRESS));
            h[i++] = link(linker, zmq, "zmq_socket", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
            h[i++] = link(linker, zmq, "zmq_close", FunctionDescriptor.of(JAVA_INT, ADDRESS));
            h[i++] = link(linker, zmq, "zmq_bind", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
            h[i++] = link(linker, zmq, "zmq_connect", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
            h[i++] = link(linker, zmq, "zmq_setsockopt",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG));
            h[i++] = link(linker, zmq, "zmq_errno", FunctionDescriptor.of(JAVA_INT), critical);
            h[i++] = link(linker, zmq, "zmq_strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));
            h[i++] = link(linker, zmq, "zmq_send", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG,
                    JAVA_INT), critical);
            h[i++] = link(linker, zmq, "zmq_msg_init", FunctionDescriptor.of(JAVA_INT, ADDRESS), critical);
            h[i++] = link(linker, zmq, "zmq_msg_init_data",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS), critical);
            h[i++] = link(linker, zmq, "zmq_msg_send", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT),
                    critical);
            h[i++] = link(linker, zmq, "zmq_msg_recv", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT),
                    critical);
            h[i++] = link(linker, zmq, "zmq_msg_close", FunctionDescriptor.of(JAVA_INT, ADDRESS), critical);
            h[i++] = link(linker, zmq, "zmq_msg_move", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), critical);
            h[i++] = link(linker, zmq, "zmq_msg_copy", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), critical);
            h[i++] = link(linker, zmq, "zmq_msg_data", FunctionDescriptor.of(ADDRESS, ADDRESS), critical);
            h[i++] = link(linker, zmq, "zmq_msg_size", FunctionDescriptor.of(JAVA_LONG, ADDRESS), critical);
            h[i++] = link(linker, zmq, "zmq_msg_more", FunctionDescriptor.of(JAVA_INT, ADDRESS), critical);
            h[i++] = link(linker, zmq, "zmq_poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG));
            h[i++] = link(linker, libc, "aligned_alloc", FunctionDescriptor.of(ADDRESS, JAVA_LONG, JAVA_LONG),
                    critical);
            h[i++] = link(linker, libc, "malloc", FunctionDescriptor.of(ADDRESS, JAVA_LONG), critical);
            h[i++] = link(linker, libc, "free", FunctionDescriptor.ofVoid(ADDRESS), critical);
            h[i++] = link(linker, libc, "eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
            h[i++] = link(linker, libc, "read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
            h[i++] = link(linker, libc, "write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
            h[i++] = link(linker, libc, "close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
            freeFn = libc.findOrThrow("free");
        } catch (final RuntimeException | Error e) {
            reason = e.toString();
        }
        int i = 0;
        VERSION = h[i++];
        CTX_NEW = h[i++];
        CTX_SET = h[i++];
        CTX_TERM = h[i++];
        SOCKET = h[i++];
        CLOSE = h[i++];
        BIND = h[i++];
        CONNECT = h[i++];
        SETSOCKOPT = h[i++];
        ERRNO = h[i++];
        STRERROR = h[i++];
        SEND = h[i++];
        MSG_INIT = h[i++];
        MSG_INIT_DATA = h[i++];
        MSG_SEND = h[i++];
        MSG_RECV = h[i++];
        MSG_CLOSE = h[i++];
        MSG_MOVE = h[i++];
        MSG_COPY = h[i++];
        MSG_DATA = h[i++];
        MSG_SIZE = h[i++];
        MSG_MORE = h[i++];
        POLL = h[i++];
        ALIGNED_ALLOC = h[i++];
        MALLOC = h[i++];
        FREE = h[i++];
        EVENTFD = h[i++];
        READ = h[i++];
        WRITE = h[i++];
        FD_CLOSE = h[i++];
        FREE_FN = freeFn;
        AVAILABLE = reason == null;
        UNAVAILABLE_REASON = reason;
        LIBRARY = library;
    }

    private LibZmq() {
    }

    private static MethodHandle link(final Linker linker, final SymbolLookup lookup, final String name,
                                     final FunctionDescriptor descriptor, final Linker.Option... options) {
        return linker.downcallHandle(lookup.findOrThrow(name), descriptor, options);
    }

    /** @return whether libzmq and the libc calls could be linked */
    static boolean available() {
        return AVAILABLE;
    }

    /** @return why the library could not be linked, or null when it was */
    static String unavailableReason() {
        return UNAVAILABLE_REASON;
    }

    /** @return the library name that was loaded, or null */
    static String library() {
        return LIBRARY;
    }

    /**
     * Says once per JVM, as a WARNING, that the libzmq provider stays out of the way and why.
     *
     * @return whether the library is available
     */
    static boolean warnIfUnavailable() {
        if (!AVAILABLE && WARNED.compareAndSet(false, true)) {
            System.getLogger(LibZmq.class.getName()).log(System.Logger.Level.WARNING, "shmq libzmq provider not "
                    + "registered: libzmq.so.5 could not be linked (" + UNAVAILABLE_REASON + "); zeromq factories "
                    + "come from the JeroMQ provider (no real ipc://). Install it with: apt-get install libzmq5; "
                    + "native access needs --enable-native-access=ALL-UNNAMED.");
        }
        return AVAILABLE;
    }

    /** @throws IllegalStateException when the library is not available, saying why */
    static void checkAvailable() {
        if (!AVAILABLE) {
            throw new IllegalStateException("libzmq is not available: " + UNAVAILABLE_REASON
                    + " (install it with: apt-get install libzmq5)");
        }
    }

    private static RuntimeException failure(final Throwable t) {
        if (t instanceof RuntimeException e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("downcall failed", t);
    }

    /** @return libzmq's version, e.g. {@code 4.3.4} */
    static String version() {
        checkAvailable();
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment v = arena.allocate(JAVA_INT, 3);
            VERSION.invokeExact(v, v.asSlice(4), v.asSlice(8));
            return v.getAtIndex(JAVA_INT, 0) + "." + v.getAtIndex(JAVA_INT, 1) + "." + v.getAtIndex(JAVA_INT, 2);
        } catch (final Throwable t) {
            throw failure(t);
        }
    }

    static MemorySegment ctxNew() {
        try {
            return (MemorySegment) CTX_NEW.invokeExact();
        } catch (final Throwable t) {
            throw failure(t);
        }
    }

    static int ctxSet(final MemorySegment ctx, final int option, final int value) {
        try {
            return (int) CTX_SET.invokeExact(ctx, option, value);
        } catch (final Throwable t) {
            throw failure(t);
        }
    }

    static int ctxTerm(final MemorySegment ctx) {
        try {
            return (int) CTX_TERM.invokeExact(ctx);
        } catch (final Throwable t) {
            throw failure(t);
        }
    }

    static MemorySegment socket(final MemorySegment ctx, final int type) {
        try {
            return (MemorySegment) SOCKET.invokeExact(ctx, type);
        } catch (final Throwable t) {
            throw failure(t);
        }
    }

    static int close(final MemorySegment socket) {
        try {
            return (int) CLOSE.invokeExact(socket);
        } catch (final Throwable t) {
            throw failure(t);
        }
    }

    static int bind(final MemorySegment socket, final String address) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) BIND.invokeExact(socket, arena.allocateFrom(address));
        } catch (final Throwable t) {
            throw failure(t);
        }
    }

    static int connect(final MemorySegment socket, final String address) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) CONNECT.invokeExact(socket, arena.allocateFrom(address));
        } catch (final Throwable t) {
            throw failure(t);
        }
    }

    static int setInt(final MemorySegment socket, final int option, final int value) {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment v = arena.allocateFrom(JAVA_INT, value);
            return (int) SETSOCKOPT.invokeExact(socket, option, v, JAVA_INT.byteSize());
        } catch (final Throwable t) {
            throw failure(t);
        }
    }

    static int setBytes(final MemorySegment socket, final int option, final byte[] value) {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment v = value.length == 0 ? arena.allocate(1) : arena.allocate(value.length);
            MemorySegment.copy(value, 0, v, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, value.length);
            return (int) SETSOCKOPT.invokeExact(socket, option, v, (long) value.length);
        } catch (final Throwable t) {
            throw failure(t);
        }
    }

    static int errno() {
        try {
            return (int) ERRNO.invokeExact();
        } catch (final Throwable t) {
            throw failure(t);
        }
    }

    /** @return libzmq's text for an error number */
    static String strerror(final int errno) {
        try {
            final MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
            return text.reinterpret(1024).getString(0);
        } catch (final Throwable t) {
            throw failure(t);
        }
    }

    /** {@code zmq_send}: libzmq copies {@code size} bytes of {@code data} into a message of its own and sends it. */
    static int send(final MemorySegment socket, final MemorySegment data, final long size, final int flags) {
        try {
            return (int) SEND.invokeExact(socket, data, size, flags);
        } catch (final Throwable t) {
            throw failure(t);
        }
    }

    static int msgInit(final MemorySegment msg) {
        try {
            return (int) MSG_INIT.invokeExact(msg);
        } catch (final Throwable t) {
            throw failure(t);
        }
    }

    /** {@code zmq_msg_init_data} with libc's {@code free} as the deallocator: libzmq owns {@code data} after it. */
    static int msgInitData(final MemorySegment msg, final MemorySegment data, final long size) {
        try {
            return (int) MSG_INIT_DATA.invokeExact(msg, data, size, FREE_FN, MemorySegment.NULL);
        } catch (final Throwable t) {
            throw failure(t);
        }
    }

    static int msgSend(final MemorySegment msg, final MemorySegment socket, final int flags) {
        try {
            return (int) MSG_SEND.invokeExact(msg, socket, flags);
        } catch (final Throwable t) {
            throw failure(t);
        }
    }

    static int msgRecv(final MemorySegment msg, final MemorySegment socket, final int flags) {
        try {
            return (int) MSG_RECV.invokeExact(msg, socket, flags);
        } catch (final Throwable t) {
            throw failure(t);
        }
    }

    static int msgClose(final MemorySegment msg) {
        try {
            return (int) MSG_CLOSE.invokeExact(msg);
        } catch (final Throwable t) {
            throw failure(t);
        }
    }

    static int msgMove(final MemorySegment dest, final MemorySegment src) {
        try {
            return (int) MSG_MOVE.invokeExact(dest, src);
        } catch (final Throwable t) {
            throw failure(t);
        }
    }

    static int msgCopy(final MemorySegment dest, final MemorySegment src) {
        try {
            return (int) MSG_COPY.invokeExact(dest, src);
        } catch (final Throwable t) {
            throw failure(t);
        }
    }

    /** @return the address of the message's data (a zero-length segment) */
    static MemorySegment msgData(final MemorySegment msg) {
        try {
            return (MemorySegment) MSG_DATA.invokeExact(msg);
        } catch (final Throwable t) {
            throw failure(t);
        }
    }

    static long msgSize(final MemorySegment msg) {
        try {
            return (long) MSG_SIZE.invokeExact(msg);
        } catch (final Throwable t) {
            throw failure(t);
        }
    }

    static boolean msgMore(final MemorySegment msg) {
        try {
            return (int) MSG_MORE.invokeExact(msg) != 0;
        } catch (final Throwable t) {
            throw failure(t);
        }
    }

    static int poll(final MemorySegment items, final int count, final long timeoutMs) {
        try {
            return (int) POLL.invokeExact(items, count, timeoutMs);
        } catch (final Throwable t) {
            throw failure(t);
        }
    }

    /** @return {@code size} bytes of native memory aligned to {@code alignment}, or a NULL segment */
    static MemorySegment alignedAlloc(final long alignment, final long size) {
        try {
            // C11 wants the size to be a multiple of the alignment; glibc does not, but round up to be portable.
            final long rounded = (size + alignment - 1) & -alignment;
            return (MemorySegment) ALIGNED_ALLOC.invokeExact(alignment, rounded);
        } catch (final Throwable t) {
            throw failure(t);
        }
    }

    static MemorySegment malloc(final long size) {
        try {
            return (MemorySegment) MALLOC.invokeExact(size);
        } catch (final Throwable t) {
            throw failure(t);
        }
    }

    static void free(final MemorySegment pointer) {
        try {
            FREE.invokeExact(pointer);
        } catch (final Throwable t) {
            throw failure(t);
        }
    }

    /** @return a non-blocking eventfd, or -1 */
    static int eventfd() {
        try {
            return (int) EVENTFD.invokeExact(0, EFD_NONBLOCK | EFD_CLOEXEC);
        } catch (final Throwable t) {
            throw failure(t);
        }
    }

    /** Adds one to an eventfd: it becomes readable (level-triggered) until {@link #drain} reads it. */
    static void signal(final int fd, final MemorySegment word) {
        try {
            word.set(JAVA_LONG, 0, 1L);
            final long ignored = (long) WRITE.invokeExact(fd, word, 8L);
        } catch (final Throwable t) {
            throw failure(t);
        }
    }

    /** Reads an eventfd back to zero (non-blocking). */
    static void drain(final int fd, final MemorySegment word) {
        try {
            final long ignored = (long) READ.invokeExact(fd, word, 8L);
        } catch (final Throwable t) {
            throw failure(t);
        }
    }

    static void closeFd(final int fd) {
        try {
            final int ignored = (int) FD_CLOSE.invokeExact(fd);
        } catch (final Throwable t) {
            throw failure(t);
        }
    }

    // zmq_pollitem_t arrays.

    static void setItem(final MemorySegment items, final long index, final MemorySegment socket, final int fd,
                        final short events) {
        ITEM_SOCKET.set(items, 0L, index, socket);
        ITEM_FD.set(items, 0L, index, fd);
        ITEM_EVENTS.set(items, 0L, index, events);
        ITEM_REVENTS.set(items, 0L, index, (short) 0);
    }

    static short revents(final MemorySegment items, final long index) {
        return (short) ITEM_REVENTS.get(items, 0L, index);
    }
}
