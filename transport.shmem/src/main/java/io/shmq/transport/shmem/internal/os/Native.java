package io.shmq.transport.shmem.internal.os;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

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
    private static final boolean AVAILABLE;
    /** Why the downcalls could not be linked, or null. */
    private static final Throwable UNAVAILABLE_CAUSE;
    private static final AtomicBoolean WARNED = new AtomicBoolean();
    /** {@code SYS_futex} on x86-64 (on aarch64 it is 98). */
    private static final long SYS_FUTEX = "aarch64".equals(System.getProperty("os.arch")) ? 98 : 202;
    private static final long FUTEX_WAIT = 0;
    private static final long FUTEX_WAKE = 1;

    static {
        MethodHandle open = null;
        MethodHandle close = null;
        MethodHandle fallocate = null;
        MethodHandle getuid = null;
        MethodHandle mlock = null;
        MethodHandle syscall = null;
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
        AVAILABLE = ok;
        UNAVAILABLE_CAUSE = cause;
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
