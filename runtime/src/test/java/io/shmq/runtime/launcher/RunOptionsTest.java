package io.shmq.runtime.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RunOptionsTest {
    @TempDir
    Path dir;

    @Test
    void shouldStartFromTheDefaults() {
        final RunOptions o = RunOptions.parse(new String[0]);
        assertEquals("shmem", o.get("transport"));
        assertEquals("1024", o.get("msg-size"));
        assertEquals("1000000", o.get("count"));
        assertEquals("1", o.get("processors"));
        assertEquals("false", o.get("shell"));
        assertFalse(o.help());
        assertEquals("shmem", o.frameworkProperties().get("shmq.run.transport"));
    }

    @Test
    void shouldTakeFlagsWithSpaceOrEqualsAndSwitches() {
        final RunOptions o = RunOptions.parse(new String[] {"--transport", "zeromq", "--msg-size=64", "--shell",
            "--processors", "3", "--multipart"});
        assertEquals("zeromq", o.get("transport"));
        assertEquals("64", o.get("msg-size"));
        assertEquals("3", o.get("processors"));
        assertEquals("true", o.get("shell"));
        assertEquals("true", o.frameworkProperties().get("shmq.run.multipart"));
    }

    @Test
    void shouldReadAConfigurationFileAndLetLaterFlagsWin() throws Exception {
        final Path file = Files.writeString(dir.resolve("run.properties"), "transport=zeromq\ncount=5\nshell=true\n");
        final RunOptions o = RunOptions.parse(new String[] {"--config", file.toString(), "--count", "7"});
        assertEquals("zeromq", o.get("transport"));
        assertEquals("7", o.get("count"));
        assertEquals("true", o.get("shell"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--colour red | option=--colour",
        "--transport carrier | option=--transport",
        "--count | option=--count",
        "--count many | option=--count",
        "--msg-size -1 | option=--msg-size",
        "--processors 65 | option=--processors",
        "--shell=maybe | option=--shell",
        "stray | argument=stray",
    })
    void shouldRejectWrongFlagsNamingThem(final String args, final String expected) {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RunOptions.parse(args.split(" ")));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void shouldRejectAnUnknownKeyInTheConfigurationFile() throws Exception {
        final Path file = Files.writeString(dir.resolve("bad.properties"), "colour=red\n");
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RunOptions.parse(new String[] {"--config", file.toString()}));
        assertTrue(e.getMessage().contains("key=colour"), e.getMessage());
    }

    @Test
    void shouldAnswerHelp() {
        assertTrue(RunOptions.parse(new String[] {"--help"}).help());
        assertTrue(RunOptions.USAGE.contains("--processors"));
    }
}
