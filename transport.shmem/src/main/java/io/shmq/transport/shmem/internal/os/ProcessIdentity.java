package io.shmq.transport.shmem.internal.os;

import java.io.IOException;
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
        if (pid == PID) {
            return token == 0 || token == TOKEN;
        }
        final String stat;
        try {
            stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        } catch (IOException e) {
            return false;
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
        return token == 0 || fields.length < 20 || (Long.parseLong(fields[19]) & 0xFFFFFFFFL) == token;
    }

    private static long startToken(final long pid) {
        try {
            final String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            final String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[19]) & 0xFFFFFFFFL;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
