package io.shmq.transport.shmem.internal.os;

import java.io.FileInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Who a process is, robust against pid reuse: its pid plus its start time in clock ticks since boot (field 22 of
 * {@code /proc/<pid>/stat}). A lock word or device slot stores both; a process with the same pid but another
 * start time is a different process, so the owner counts as dead.
 */
public final class ProcessIdentity {
    /** This process's pid. */
    public static final long PID = ProcessHandle.current().pid();
    /** This process's start time token (low 32 bits of the start ticks; 0 when /proc is unreadable). */
    public static final long TOKEN = startToken(PID);

    private ProcessIdentity() {
    }

    /** @return the lock word of this process: pid in the high 32 bits, start token in the low 32 */
    public static long lockWord() {
        return PID << 32 | TOKEN;
    }

    /** @return whether the process that wrote {@code word} (see {@link #lockWord()}) still runs */
    public static boolean alive(final long word) {
        return alive(word >>> 32, word & 0xFFFFFFFFL);
    }

    /** @return whether process {@code pid} with start token {@code token} (0 = any) is alive and not a zombie */
    public static boolean alive(final long pid, final long token) {
        return alive(pid, token, 0xFFFFFFFFL);
    }

    /**
     * @param tokenMask the bits of the start ticks that {@code token} keeps (a word with less room than a lock word)
     * @return whether process {@code pid} whose start ticks masked by {@code tokenMask} are {@code token} (0 = any)
     * is alive and not a zombie
     */
    public static boolean alive(final long pid, final long token, final long tokenMask) {
        if (pid == PID) {
            return token == 0 || token == (TOKEN & tokenMask);
        }
        final String stat = stat(pid);
        if (stat == null) {
            return false;
        }
        if (stat.isEmpty()) {
            return true; // it exists but its stat could not be read: never call a process dead on a doubt
        }
        // The command name (field 2) may hold spaces and parentheses: parse from the last ')'.
        final int close = stat.lastIndexOf(')');
        if (close < 0) {
            return false;
        }
        final String[] fields = stat.substring(close + 2).split(" ");
        final String state = fields[0];
        if (state.equals("Z") || state.equals("X")) {
            return false;
        }
        // fields[0] is field 3 (state), so field 22 (starttime) is fields[19].
        return token == 0 || fields.length < 20 || (Long.parseLong(fields[19]) & tokenMask) == token;
    }

    /**
     * Reads {@code /proc/<pid>/stat} in a way that an interrupted thread cannot break: NIO channels close on interrupt
     * and would make a live process look dead (and its robust lock or its session be taken from it), so classic I/O.
     *
     * @return the line; null when the process does not exist; empty when it exists but the line could not be read
     */
    private static String stat(final long pid) {
        final Path proc = Path.of("/proc", Long.toString(pid));
        if (!Files.exists(proc)) {
            return null;
        }
        try (FileInputStream in = new FileInputStream(proc.resolve("stat").toFile())) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return Files.exists(proc) ? "" : null;
        }
    }

    private static long startToken(final long pid) {
        try {
            final String stat = stat(pid);
            if (stat == null || stat.isEmpty()) {
                return 0;
            }
            final String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[19]) & 0xFFFFFFFFL;
        } catch (RuntimeException e) {
            return 0;
        }
    }
}
