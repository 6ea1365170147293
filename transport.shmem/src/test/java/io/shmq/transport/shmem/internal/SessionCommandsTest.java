package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.Message;
import io.shmq.transport.api.RegionConfig;
import io.shmq.transport.api.UnmanagedRegion;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Gogo commands print what {@code ./shmq sessions list --details} prints, and clean up only what may go. */
class SessionCommandsTest {
    @RegisterExtension
    final ShmSession shm = new ShmSession();

    @Test
    void shouldListSessionsWithDevicesSegmentsFreeMemoryAndRegions() throws Exception {
        final ShmemFactory factory = shm.factory("listed");
        final SessionCommands commands = new SessionCommands();
        commands.configure(ShmemTransportTest.config(Map.of()));
        try (Message held = factory.createMessage(1 << 20);
             UnmanagedRegion region = factory.createUnmanagedRegion(64 * 1024, ShmSession.IGNORE,
                     RegionConfig.DEFAULT)) {
            Thread.sleep(150); // one heartbeat of the duty cycle
            final String out = commands.sessions();
            final String line = out.lines().filter(l -> l.startsWith(shm.shmId())).findFirst().orElseThrow(
                    () -> new AssertionError("session " + shm.shmId() + " not listed:\n" + out));
            assertTrue(line.contains(" live ") && line.contains("live-pids=[" + ProcessHandle.current().pid() + "]"),
                    line);
            assertTrue(out.contains("  device slot=") && out.contains(" alive last-beat=")
                    && out.contains(" ms ago"), out);
            assertTrue(out.contains("  segment id=0 size=" + ShmSession.SEGMENT_SIZE + " free="
                    + factory.freeMemory()), out);
            assertTrue(out.contains("  region id=" + region.id() + " size=65536"), out);
        }
        final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> commands.cleanup(shm.shmId()));
        assertTrue(refused.getMessage().contains("live"), refused.getMessage());
        assertTrue(commands.sessions().contains(shm.shmId()), "a live session is never removed without --force");
    }
}
