package io.shmq.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** What the compare's header says of the machine. */
class CompareRunTest {
    @Test
    void shouldNameTheFirstProcessorModelOfCpuinfo() {
        final String cpuinfo = """
                processor\t: 0
                vendor_id\t: AuthenticAMD
                model\t\t: 17
                model name\t: AMD   EPYC 9R14
                flags\t\t: fpu vme

                processor\t: 1
                model name\t: another model
                """;
        assertEquals("AMD EPYC 9R14", CompareRun.cpuModel(cpuinfo));
    }

    @Test
    void shouldSayUnknownWithoutAModelName() {
        assertEquals("unknown CPU", CompareRun.cpuModel(""));
        assertEquals("unknown CPU", CompareRun.cpuModel("processor\t: 0\nmodel\t\t: 17\nmodel name\t:   \n"));
    }
}
