package io.shmq.transport.libzmq.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A machine without libzmq, simulated in a child JVM that is told to load a library that does not exist: the probe
 * logs exactly one WARNING however often it is activated, never enables the transport component (so no service
 * is registered in OSGi), and a factory asked for anyway is refused with the install line.
 */
class LibzmqAbsentTest {
    @TempDir
    Path directory;

    @Test
    void shouldWarnOnceAndStayOutOfTheWayWithoutTheLibrary() throws Exception {
        final Path log = directory.resolve("child.log");
        final Process child = new ProcessBuilder(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                "-D" + LibZmq.LIBRARY_PROPERTY + "=libshmq-no-such-zmq.so.0",
                "-cp", System.getProperty("java.class.path"), AbsentLibraryMain.class.getName()))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), "child did not exit");
        final String output = Files.readString(log);
        assertEquals(0, child.exitValue(), output);
        assertTrue(output.contains("enabled=0"), output);
        assertEquals(1, output.split("shmq libzmq provider not registered", -1).length - 1, "one warning: " + output);
        assertTrue(output.contains("WARNING"), output);
        assertTrue(output.contains("factory=refused") && output.contains("apt-get install libzmq5"), output);
    }
}
