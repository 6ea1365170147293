package io.shmq.transport.shmem.internal.os;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/**
 * The few libc calls the provider needs, as FFM downcalls: {@code open}/{@code posix_fallocate}/{@code close} to
 * reserve the blocks of a shared-memory file (so that a full tmpfs gives an exception, never a SIGBUS) and
 * {@code getuid}. Downcalls are restricted methods: without {@code --enable-native-access} the JDK warns, or with
 * {@code --illegal-native-access=deny} refuses; then {@link #available()} is false and callers fall back to a
 * free-space check, which is racy but still never maps a page the file system cannot back knowingly.
 */
public final class Native {
    private static final int O_RDWR = 2;
    private static final MethodHandle OPEN;
    private static final MethodHandle CLOSE;
    private static final MethodHandle FALLOCATE;
    private static final MethodHandle GETUID;
    private static final MethodHandle MLOCK;
    private static final MethodHandle SYSCALL;
    /** {@code syscall} with five arguments and errno captured (futex_waitv). */
    private static final MethodHandle SYSCALL5;
    /** {@code SYS_futex_waitv} (Linux 5.16+), the same number on x86-64 and aarch64. */
    private static final long SYS_FUTEX_WAITV = 449;
    private static final int ENOSYS = 38;
    /** {@code FUTEX2_SIZE_U32}: a 32-bit futex word, shared between processes (no FUTEX2_PRIVATE). */
    private static final int FUTEX2_SIZE_U32 = 0x02;
    private static final int CLOCK_MONOTONIC = 1;
    /** The most words one futex_waitv call takes. */
    public static final int MAX_WAITV = 128;
    /** One {@code struct futex_waitv}: value, address, flags, reserved. */
    private static final StructLayout WAITV = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("val"),
            ValueLayout.JAVA_LONG.withName("uaddr"),
            ValueLayout.JAVA_INT.withName("flags"),
            ValueLayout.JAVA_INT.withName("reserved"));
    private static final VarHandle WAITV_VAL = WAITV.arrayElementVarHandle(groupElement("val"));
    private static final VarHandle WAITV_ADDR = WAITV.arrayElementVarHandle(groupElement("uaddr"));
    private static final VarHandle WAITV_FLAGS = WAITV.arrayElementVarHandle(groupElement("flags"));
    private static volatile boolean waitvSupported = true;
    private static final boolean AVAILABLE;
    /** Why the downcalls could not be linked, or null. */
    private static final Throwable UNAVAILABLE_CAUSE;
    private static final AtomicBoolean WARNED = new AtomicBoolean();
    /** {@code SYS_futex} on x86-64 (on aarch64 it is 98). */
    private static final long SYS_FUTEX = "aarch64".equals(System.getProperty("os.arch")) ? 98 : 202;
    private static final long FUTEX_WAIT = 0;
    private static final long FUTEX_WAKE = 1;
    /** {@code SYS_membarrier} (Linux 4.3+; the expedited global commands 4.16+). */
    private static final long SYS_MEMBARRIER = "aarch64".equals(System.getProperty("os.arch")) ? 283 : 324;
    private static final long MEMBARRIER_CMD_QUERY = 0;
    private static final long MEMBARRIER_CMD_GLOBAL_EXPEDITED = 2;
    private static final long MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED = 4;
    /**
     * Whether this process is registered for {@code MEMBARRIER_CMD_GLOBAL_EXPEDITED} and may issue it: then its
     * publishers may ring a doorbell after a release store (a sleeper of any process fences for them, {@link
     * #globalBarrier}), and its sleepers fence for every publisher so registered.
     */
    private static final boolean GLOBAL_BARRIER;

    static {
        MethodHandle open = null;
        MethodHandle close = null;
        MethodHandle fallocate = null;
        MethodHandle getuid = null;
        MethodHandle mlock = null;
        MethodHandle syscall = null;
        MethodHandle syscall5 = null;
        boolean ok;
        Throwable cause = null;
        try {
            final Linker linker = Linker.nativeLinker();
            final var libc = linker.defaultLookup();
            open = linker.downcallHandle(libc.findOrThrow("open"),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
                            ValueLayout.JAVA_INT), Linker.Option.firstVariadicArg(2));
            close = linker.downcallHandle(libc.findOrThrow("close"),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            fallocate = linker.downcallHandle(libc.findOrThrow("posix_fallocate"),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_LONG));
            getuid = linker.downcallHandle(libc.findOrThrow("getuid"), FunctionDescriptor.of(ValueLayout.JAVA_INT));
            mlock = linker.downcallHandle(libc.findOrThrow("mlock"),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG),
                    Linker.Option.captureCallState("errno"));
            // long syscall(long number, ...): every variadic argument passed as a 64-bit register value.
            syscall = linker.downcallHandle(libc.findOrThrow("syscall"),
                    FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG),
                    Linker.Option.firstVariadicArg(1));
            syscall5 = linker.downcallHandle(libc.findOrThrow("syscall"),
                    FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_LONG),
                    Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));
            ok = true;
        } catch (RuntimeException | Error e) {
            ok = false;
            cause = e;
        }
        OPEN = open;
        CLOSE = close;
        FALLOCATE = fallocate;
        GETUID = getuid;
        MLOCK = mlock;
        SYSCALL = syscall;
        SYSCALL5 = syscall5;
        AVAILABLE = ok;
        UNAVAILABLE_CAUSE = cause;
        boolean barrier = false;
        if (ok) {
            try {
                final long commands = (long) syscall.invokeExact(SYS_MEMBARRIER, MEMBARRIER_CMD_QUERY, 0L, 0L, 0L);
                final long needed = MEMBARRIER_CMD_GLOBAL_EXPEDITED | MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED;
                barrier = commands > 0 && (commands & needed) == needed
                        && (long) syscall.invokeExact(SYS_MEMBARRIER, MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0L,
                        0L, 0L) == 0;
            } catch (Throwable t) {
                barrier = false;
            }
        }
        GLOBAL_BARRIER = barrier;
    }

    private Native() {
    }

    /** @return whether the downcalls could be linked */
    public static boolean available() {
        return AVAILABLE;
    }

    /**
     * Says once per JVM, as a WARNING, that the provider runs in its degraded mode because native access was denied
     * (documented in the module README): no {@code posix_fallocate} (a full tmpfs may then raise SIGBUS instead of a
     * {@code SharedMemoryException}: only a free-space check is left), no futex (blocked calls poll every 1 ms), no
     * {@code mlock}.
     *
     * @return whether the downcalls are available
     */
    public static boolean warnIfUnavailable() {
        if (!AVAILABLE && WARNED.compareAndSet(false, true)) {
            System.getLogger(Native.class.getName()).log(System.Logger.Level.WARNING, "shmq shared memory runs"
                    + " without native access (" + UNAVAILABLE_CAUSE + "): no posix_fallocate, so a full tmpfs can"
                    + " crash the JVM with SIGBUS instead of throwing SharedMemoryException; no futex, so blocked"
                    + " calls poll every 1 ms. Start the JVM with --enable-native-access=ALL-UNNAMED (class path,"
                    + " OSGi) or --enable-native-access=io.shmq.transport.shmem (module path).");
        }
        return AVAILABLE;
    }

    /**
     * Reserves {@code length} bytes at {@code offset} of {@code file}: afterwards the pages are backed and touching
     * them cannot raise SIGBUS.
     *
     * @return 0 on success, else the errno (28 = ENOSPC), or -1 when the downcalls are unavailable
     */
    static int fallocate(final Path file, final long offset, final long length) {
        if (!AVAILABLE) {
            return -1;
        }
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment path = arena.allocateFrom(file.toString());
            final int fd = (int) OPEN.invokeExact(path, O_RDWR, 0);
            if (fd < 0) {
                return -1;
            }
            try {
                return (int) FALLOCATE.invokeExact(fd, offset, length);
            } finally {
                final int ignored = (int) CLOSE.invokeExact(fd);
            }
        } catch (Throwable t) {
            return -1;
        }
    }

    /**
     * Locks the pages of {@code memory} in RAM ({@code RegionConfig.lock}); best effort.
     *
     * @return 0 on success, else the errno (12 = ENOMEM: over RLIMIT_MEMLOCK), or -1 when unavailable
     */
    public static int mlock(final MemorySegment memory) {
        if (!AVAILABLE) {
            return -1;
        }
        try (Arena arena = Arena.ofConfined()) {
            final var stateLayout = Linker.Option.captureStateLayout();
            final MemorySegment state = arena.allocate(stateLayout);
            final int rc = (int) MLOCK.invokeExact(state, memory, memory.byteSize());
            if (rc == 0) {
                return 0;
            }
            return (int) stateLayout.varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"))
                    .get(state, 0L);
        } catch (Throwable t) {
            return -1;
        }
    }

    /** @return the real user id of this process, from {@code getuid} or {@code /proc/self/status} */
    public static long uid() {
        if (AVAILABLE) {
            try {
                return Integer.toUnsignedLong((int) GETUID.invokeExact());
            } catch (Throwable ignored) {
                // fall through to /proc
            }
        }
        try {
            final Optional<String> line = Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("Uid:")).findFirst();
            if (line.isPresent()) {
                return Long.parseLong(line.get().substring(4).trim().split("\\s+")[0]);
            }
        } catch (java.io.IOException | RuntimeException ignored) {
            // fall through to the user name
        }
        return System.getProperty("user.name", "").hashCode() & 0xFFFFFFFFL;
    }

    /**
     * {@code futex(FUTEX_WAIT)} on a 32-bit word in a shared mapping (not the PRIVATE variant: waiter and waker may be
     * different processes). Returns when woken, when the word no longer holds {@code expected}, on a signal or after
     * {@code timeoutNanos}.
     *
     * @return false when the downcall is unavailable (the caller then parks for a short time instead)
     */
    public static boolean futexWait(final long address, final int expected, final long timeoutNanos) {
        if (!AVAILABLE) {
            return false;
        }
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment timespec = arena.allocate(16, 8);
            timespec.set(ValueLayout.JAVA_LONG, 0, timeoutNanos / 1_000_000_000L);
            timespec.set(ValueLayout.JAVA_LONG, 8, timeoutNanos % 1_000_000_000L);
            final long ignored = (long) SYSCALL.invokeExact(SYS_FUTEX, address, FUTEX_WAIT,
                    Integer.toUnsignedLong(expected), timespec.address());
            return true;
        } catch (Throwable t) {
            return false;
        }
    }

    /**
     * Sleeps until one of several futex words changes from its expected value ({@code futex_waitv}, Linux 5.16+):
     * a poller over several sockets sleeps on all their rings at once. Returns at once when a word already differs.
     *
     * @param addresses    the words' addresses, at most {@link #MAX_WAITV}
     * @param expected     the value each word held when the caller last checked its condition
     * @param count        how many of the arrays' entries are used
     * @param timeoutNanos the longest sleep
     * @return false when the call is unavailable (no native access, or a kernel without futex_waitv): the caller
     * parks instead
     */
    public static boolean futexWaitAny(final long[] addresses, final int[] expected, final int count,
                                       final long timeoutNanos) {
        if (!AVAILABLE || !waitvSupported || count < 1 || count > MAX_WAITV) {
            return false;
        }
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment waiters = arena.allocate(WAITV, count);
            for (long i = 0; i < count; i++) {
                WAITV_VAL.set(waiters, 0L, i, Integer.toUnsignedLong(expected[(int) i]));
                WAITV_ADDR.set(waiters, 0L, i, addresses[(int) i]);
                WAITV_FLAGS.set(waiters, 0L, i, FUTEX2_SIZE_U32);
            }
            // An absolute CLOCK_MONOTONIC deadline: System.nanoTime() is that clock on Linux.
            final long deadline = System.nanoTime() + timeoutNanos;
            final MemorySegment timespec = arena.allocate(16, 8);
            timespec.set(ValueLayout.JAVA_LONG, 0, deadline / 1_000_000_000L);
            timespec.set(ValueLayout.JAVA_LONG, 8, deadline % 1_000_000_000L);
            final var stateLayout = Linker.Option.captureStateLayout();
            final MemorySegment state = arena.allocate(stateLayout);
            final long rc = (long) SYSCALL5.invokeExact(state, SYS_FUTEX_WAITV, waiters.address(), (long) count, 0L,
                    timespec.address(), (long) CLOCK_MONOTONIC);
            if (rc < 0 && (int) stateLayout.varHandle(groupElement("errno")).get(state, 0L) == ENOSYS) {
                waitvSupported = false;
                return false;
            }
            return true;
        } catch (Throwable t) {
            return false;
        }
    }

    /**
     * @return whether {@link #globalBarrier} works in this process, which is registered for it: its publishers may
     * then publish with a release store before they read a doorbell's armed word (a JIT constant)
     */
    public static boolean globalBarrierReady() {
        return GLOBAL_BARRIER;
    }

    /**
     * {@code membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED)}: a full memory barrier on every CPU that runs a thread of a
     * registered process, before this returns. A sleeper issues it between arming its doorbell and checking its
     * condition once more, so that a publisher's release store and its later load of the armed word cannot pass each
     * other unseen: either the publish is visible to the check, or the arming to the publisher (the asymmetric fence
     * of a Dekker protocol; its fast side needs only the compiler to keep the store before the load, which an
     * ordered access through a {@code VarHandle} on native memory does). Tens of microseconds; once per sleep.
     *
     * @return false when unavailable (then {@link #globalBarrierReady()} is false)
     */
    public static boolean globalBarrier() {
        if (!GLOBAL_BARRIER) {
            return false;
        }
        try {
            return (long) SYSCALL.invokeExact(SYS_MEMBARRIER, MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0L, 0L, 0L) == 0;
        } catch (Throwable t) {
            return false;
        }
    }

    /** {@code futex(FUTEX_WAKE)} of every waiter on the word at {@code address}; a no-op when unavailable. */
    public static void futexWakeAll(final long address) {
        if (!AVAILABLE) {
            return;
        }
        try {
            final long ignored = (long) SYSCALL.invokeExact(SYS_FUTEX, address, FUTEX_WAKE,
                    (long) Integer.MAX_VALUE, 0L);
        } catch (Throwable t) {
            // unavailable: waiters wake by their timeout
        }
    }
}
