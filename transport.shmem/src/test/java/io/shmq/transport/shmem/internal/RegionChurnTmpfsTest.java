package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.MetaHeader;
import io.shmq.transport.api.RegionConfig;
import io.shmq.transport.api.UnmanagedRegion;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Region churn on a file system of its own, as small as the issue asks: a 1 GiB tmpfs mounted for the test (so
 * root only; elsewhere the test is skipped, saying why). 100 times a 64 MiB region is created, written, resolved and
 * checked by a second JVM, and destroyed: 6.4 GiB in all through 1 GiB, which works only if every process unmaps a
 * destroyed region (a deleted file's pages stay while anyone maps it).
 */
class RegionChurnTmpfsTest {
    private static final long REGION = 64L << 20;
    private static final int CYCLES = 100;

    @Test
    void shouldCreateResolveAndDestroyAHundred64MiBRegionsInTwoJvmsOnA1GiBTmpfs() throws Exception {
        final Path mount = Files.createTempDirectory("shmq-churn-");
        try {
            final Process mounting = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=1G,mode=0700",
                    "shmq-churn", mount.toString()).redirectErrorStream(true).start();
            final String said = new String(mounting.getInputStream().readAllBytes()).trim();
            Assumptions.assumeTrue(mounting.waitFor(30, TimeUnit.SECONDS) && mounting.exitValue() == 0,
                    "cannot mount a 1 GiB tmpfs here (needs root): " + said);
            try {
                churn(mount);
            } finally {
                final Process unmounting = new ProcessBuilder("umount", mount.toString()).inheritIO().start();
                if (!unmounting.waitFor(30, TimeUnit.SECONDS) || unmounting.exitValue() != 0) {
                    new ProcessBuilder("umount", "-l", mount.toString()).inheritIO().start().waitFor(30,
                            TimeUnit.SECONDS); // detach it at least: nothing of this test stays mounted
                }
            }
        } finally {
            Files.deleteIfExists(mount);
        }
    }

    private static void churn(final Path directory) throws IOException {
        final String session = "churn-" + UUID.randomUUID();
        final long segment = 8L << 20;
        try (ShmemFactory creator = new ShmemFactory(FactoryConfig.builder("creator").session(session)
                .segmentSize(segment).option(ShmemFactory.OPTION_DIRECTORY, directory.toString()).build());
             ChildJvm reader = new ChildJvm(session, segment, directory)) {
            for (int cycle = 0; cycle < CYCLES; cycle++) {
                try (UnmanagedRegion region = creator.createUnmanagedRegion(REGION, ShmSession.IGNORE,
                        RegionConfig.DEFAULT)) {
                    final MetaHeader meta = MetaHeader.region(4096, REGION - 4096, region.id(), 0);
                    Payload.fill(region.data().asSlice(REGION - 4096, 4096), cycle);
                    assertEquals("-1", reader.call("check " + Payload.hex(meta) + " " + cycle, "CHECKED", 30),
                            "cycle " + cycle + ": the reader sees the region's bytes");
                }
            }
        }
        try (Stream<Path> left = Files.list(directory)) {
            assertEquals(List.of(), left.map(p -> p.getFileName().toString()).toList(),
                    "every file of the session removed");
        }
    }
}
