package io.shmq.transport.shmem.internal;

import io.shmq.transport.shmem.internal.session.SessionMonitor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;

/**
 * The Gogo commands of the shared-memory provider, scope {@code shmq} (found by Gogo through the
 * {@code osgi.command.*} service properties; no Gogo class is needed here):
 * <pre>
 *   shmq:sessions [dir]          this user's sessions, with devices (last heartbeat), segments (free memory), regions
 *   shmq:cleanup --stale [dir]   removes every stale session (no live device, a dead one)
 *   shmq:cleanup shmId [dir]     removes one session that has no live device
 * </pre>
 * The directory defaults to the shared-memory transport's configured one (same PID). The output is
 * {@code ./shmq sessions}' own.
 */
@Component(service = SessionCommands.class, configurationPid = ShmemTransport.PID,
        property = {"osgi.command.scope=shmq", "osgi.command.function=sessions", "osgi.command.function=cleanup"})
public final class SessionCommands {
    private volatile String directory = ShmemOptions.DEFAULT_DIRECTORY.toString();

    /** Creates the commands. */
    public SessionCommands() {
    }

    @Activate
    @Modified
    void configure(final ShmemTransport.Config config) {
        directory = ShmemTransport.directoryOf(config).toString();
    }

    /** @return the sessions of this user in the configured directory, with their details */
    public String sessions() {
        return sessions(directory);
    }

    /** @return the sessions of this user in {@code dir}, with their details */
    public String sessions(final String dir) {
        return run("list", "--details", "--dir", dir);
    }

    /** @return what {@code cleanup --stale} or {@code cleanup shmId} did in the configured directory */
    public String cleanup(final String target) {
        return cleanup(target, directory);
    }

    /** @return what {@code cleanup --stale} or {@code cleanup shmId} did in {@code dir} */
    public String cleanup(final String target, final String dir) {
        return run("cleanup", target, "--dir", dir);
    }

    private static String run(final String... args) {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final List<String> argv = new ArrayList<>(List.of(args));
        final int code;
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            code = SessionMonitor.run(argv.toArray(String[]::new), out, out);
        }
        final String text = bytes.toString(StandardCharsets.UTF_8);
        if (code != 0) {
            // Gogo prints the message of a failed command: the same text, and the caller sees it failed.
            throw new IllegalArgumentException(text.strip());
        }
        return text.isEmpty() ? "(none)" : text.stripTrailing();
    }
}
