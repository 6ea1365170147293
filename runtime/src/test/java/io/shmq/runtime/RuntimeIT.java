package io.shmq.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runnable jar as a user starts it, in child JVMs: with a count it prints header, rate lines and summary and
 * exits 0; a wrong flag prints the usage and exits 2; SIGINT stops it with the summary and no shared-memory file
 * left; a device bundle and its {@code .cfg} dropped into the deploy folder start a device.
 */
class RuntimeIT {
    /** The shared-memory directory the providers default to: $SHMQ_DIRECTORY (a CI run's own), else /dev/shm. */
    static final Path SHM_DIR = Path.of(System.getenv().getOrDefault("SHMQ_DIRECTORY", "").isBlank() ? "/dev/shm"
            : System.getenv("SHMQ_DIRECTORY"));
    private static final long WAIT_S = 60;
    private final String session = "rtit-" + UUID.randomUUID().toString().substring(0, 8);
    private final List<Process> processes = new ArrayList<>();

    @TempDir
    Path dir;

    @AfterEach
    void killLeftoversAndCheckFiles() throws Exception {
        for (final Process p : processes) {
            if (p.isAlive()) {
                p.destroyForcibly().waitFor(WAIT_S, TimeUnit.SECONDS);
            }
        }
        final long files = sessionFiles();
        deleteSessionFiles();
        assertEquals(0, files, "files of session " + session + " left");
    }

    @Test
    void shouldPrintHeaderRatesAndSummaryAndExitZeroAfterTheCount() throws Exception {
        final Run run = start("--count", "60000", "--msg-rate", "30000", "--msg-size", "512", "--session", session);
        assertTrue(run.process.waitFor(WAIT_S, TimeUnit.SECONDS), "the runtime ended");
        run.drain();
        final String out = run.text();
        assertEquals(0, run.process.exitValue(), out);
        assertTrue(out.contains("shmq runtime: sampler -> processor x1 -> sink over shmem, msg-size=512 B, "
                + "count=60000"), out);
        assertTrue(out.contains("[sink] data2[0]: in: "), out);
        assertTrue(out.contains("[sampler] data1[0]: in: 0 msg/s (0.00 MB/s) out: "), out);
        assertTrue(out.contains("summary (done):"), out);
        assertTrue(out.contains("sink: received=60000 of 60000, errors=0"), out);
    }

    @Test
    void shouldRunLargeMessagesStraightToTheSinkWithoutFillingTheSegment() throws Exception {
        // One link of 16 MiB messages: its ring (the binder's send and receive marks, a power of two) must stay
        // within half the 2 GiB segment, else a sampler that outruns the sink for a moment fills it and its
        // allocation fails (FairMQ's default policy throws at once): 3,590 messages in, before the fix.
        final Run run = start("--count", "20000", "--msg-size", Long.toString(16 << 20), "--processors", "0",
                "--rate-logging", "0", "--session", session);
        assertTrue(run.process.waitFor(WAIT_S, TimeUnit.SECONDS), "the runtime ended");
        run.drain();
        final String out = run.text();
        assertEquals(0, run.process.exitValue(), out);
        assertTrue(out.contains("sndBufSize=32,rcvBufSize=32"), out);
        assertTrue(out.contains("sink: received=20000 of 20000, errors=0"), out);
        assertTrue(out.contains("outages=0, unexpected errors=0"), out);
    }

    @Test
    void shouldPrintTheUsageAndExitTwoForAWrongFlag() throws Exception {
        final Run run = start("--msg-sise", "10");
        assertTrue(run.process.waitFor(WAIT_S, TimeUnit.SECONDS));
        run.drain();
        assertEquals(2, run.process.exitValue(), run.text());
        assertTrue(run.text().contains("unknown option: option=--msg-sise"), run.text());
        assertTrue(run.text().contains("usage: java -jar shmq-runtime.jar"), run.text());
    }

    @Test
    void shouldStopOnSigintWithTheSummaryAndLeaveNoSharedMemoryFile() throws Exception {
        final Run run = start("--count", "0", "--processors", "2", "--session", session);
        run.await(l -> l.startsWith("[sink] data2[1]: in: "));
        assertTrue(sessionFiles() > 0, "the session has files while it runs");
        final Process kill = new ProcessBuilder("kill", "-INT", String.valueOf(run.process.pid())).inheritIO()
                .start();
        assertEquals(0, kill.waitFor());
        assertTrue(run.process.waitFor(WAIT_S, TimeUnit.SECONDS), "the runtime ended after SIGINT");
        run.drain();
        assertEquals(130, run.process.exitValue(), run.text());
        assertTrue(run.text().contains("summary (stopped):"), run.text());
        assertTrue(run.text().contains("outages=0, unexpected errors=0"), run.text());
    }

    @Test
    void shouldStartADeviceBundleAndConfigurationsDroppedIntoTheDeployFolder() throws Exception {
        final Path deploy = Files.createDirectories(dir.resolve("deploy"));
        final Run run = start("--no-devices", "--count", "0", "--deploy", deploy.toString());
        run.await(l -> l.startsWith("shmq runtime: no default devices; deploy folder: "));
        writeCounterBundle(deploy.resolve("counter.jar"));
        Files.writeString(deploy.resolve("example.counter-one.cfg"), "id=counter-one\nsession=" + session
                + "\nchannel-config=name=in,type=pull,method=connect,address=shm://drop-" + session + "\n");
        Files.writeString(deploy.resolve("io.shmq.devices.sampler-drop.cfg"), "id=dropped-sampler\nsession="
                + session + "\nmsg-rate=2000\nchannel-config=name=data1,type=push,method=bind,address=shm://drop-"
                + session + "\n");
        run.await(l -> l.equals("device up: id=counter-one type=counter"));
        run.await(l -> l.equals("device up: id=dropped-sampler type=sampler"));
        run.await(l -> l.startsWith("[counter-one] in[0]: in: ") && !l.startsWith("[counter-one] in[0]: in: 0 "));
        run.process.destroy();
        assertTrue(run.process.waitFor(WAIT_S, TimeUnit.SECONDS));
    }

    /** A bundle holding {@code CounterDevice} and its component description, as a user would build it. */
    private static void writeCounterBundle(final Path jar) throws IOException {
        final Manifest m = new Manifest();
        final Attributes a = m.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", "example.counter");
        a.putValue("Bundle-Version", "1.0.0");
        a.putValue("Import-Package", "io.shmq.devices;version=\"[1.0,2)\",io.shmq.transport.api;version=\"[1.0,2)\"");
        a.putValue("Service-Component", "OSGI-INF/counter.xml");
        final String xml = """
                <?xml version="1.0" encoding="UTF-8"?>
                <scr:component xmlns:scr="http://www.osgi.org/xmlns/scr/v1.3.0" name="example.counter"
                    configuration-policy="require" immediate="true" activate="activate" deactivate="deactivate">
                  <property name="device.type" type="String" value="counter"/>
                  <service><provide interface="io.shmq.devices.Device"/></service>
                  <reference name="transport" cardinality="0..n" policy="dynamic" policy-option="greedy"
                      interface="io.shmq.transport.api.Transport" bind="addTransport" unbind="removeTransport"/>
                  <implementation class="io.shmq.runtime.example.CounterDevice"/>
                </scr:component>
                """;
        final String clazz = "io/shmq/runtime/example/";
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), m)) {
            out.putNextEntry(new JarEntry("OSGI-INF/counter.xml"));
            out.write(xml.getBytes(StandardCharsets.UTF_8));
            try (Stream<Path> classes = Files.list(Path.of(System.getProperty("test.classes"), clazz))) {
                for (final Path c : classes.toList()) {
                    out.putNextEntry(new JarEntry(clazz + c.getFileName()));
                    Files.copy(c, out);
                }
            }
        }
    }

    private Run start(final String... args) throws IOException {
        final List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--sun-misc-unsafe-memory-access=allow", "-jar", System.getProperty("runtime.jar")));
        command.addAll(List.of(args));
        final Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        processes.add(p);
        p.getOutputStream().close();
        return new Run(p);
    }

    private long sessionFiles() throws Exception {
        final String prefix = "shmq_" + shmId() + "_";
        try (Stream<Path> files = Files.list(SHM_DIR)) {
            return files.filter(p -> p.getFileName().toString().startsWith(prefix)).count();
        }
    }

    private void deleteSessionFiles() throws Exception {
        final String prefix = "shmq_" + shmId() + "_";
        try (Stream<Path> files = Files.list(SHM_DIR)) {
            for (final Path p : files.filter(f -> f.getFileName().toString().startsWith(prefix)).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** shmId = first 4 bytes of SHA-256(uid + session) as hex (transport.shmem/README.md). */
    private String shmId() throws Exception {
        final String uid = Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(line -> line.startsWith("Uid:")).findFirst().orElseThrow().split("\\s+")[1];
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest((uid + session).getBytes(StandardCharsets.UTF_8)), 0, 4);
    }

    /** A child runtime and the lines it printed, read by a thread of their own. */
    private static final class Run {
        private final Process process;
        private final List<String> lines = new CopyOnWriteArrayList<>();
        private final Thread reader;

        Run(final Process process) {
            this.process = process;
            this.reader = new Thread(() -> {
                try (InputStream in = process.getInputStream();
                     BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        lines.add(line);
                    }
                } catch (final IOException e) {
                    lines.add("(reading failed: " + e + ")");
                }
            });
            reader.setDaemon(true);
            reader.start();
        }

        void await(final Predicate<String> line) throws InterruptedException {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
            while (lines.stream().noneMatch(line)) {
                if (System.nanoTime() > deadline || !process.isAlive() && !reader.isAlive()) {
                    throw new AssertionError("no such line within " + WAIT_S + " s; output:\n" + text());
                }
                Thread.sleep(20);
            }
        }

        void drain() throws InterruptedException {
            reader.join(TimeUnit.SECONDS.toMillis(WAIT_S));
        }

        String text() {
            return String.join("\n", lines);
        }
    }
}
