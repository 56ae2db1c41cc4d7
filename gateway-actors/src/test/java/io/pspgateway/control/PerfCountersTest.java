package io.pspgateway.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class PerfCountersTest {

    @Test
    void linesAreTheOriginalsAndAStretchIsTheDifferenceOfTwoReadings() {
        PerfCounters perf = new PerfCounters();
        perf.keysGenerated(1000, 500_000);
        perf.entriesAdded(2000, 2_000_000, 1_000_000);
        PerfCounters.Reading first = perf.read();
        assertEquals("Generated 1000 SPI/Key pairs in 0.000500 seconds, 2000.000 KILO-KPS", first.keyGenLine());
        assertEquals("Added 2000 encrypt entries in 0.002000 seconds, 1000.000 Kilo-EPS", first.insertionLine());
        assertEquals("Added 2000 encrypt entries in 0.001000 CPU seconds, 2000.000 Kilo-EPS", first.insertionCpuLine());

        perf.entriesAdded(1000, 4_000_000, 1_000_000);
        PerfCounters.Reading stretch = perf.read().since(first);
        assertEquals("Added 1000 encrypt entries in 0.004000 seconds, 250.000 Kilo-EPS", stretch.insertionLine());
        assertEquals("Generated 0 SPI/Key pairs in 0.000000 seconds, 0.000 KILO-KPS", stretch.keyGenLine());
        assertEquals("Added 3000 encrypt entries in 0.006000 seconds, 500.000 Kilo-EPS", perf.insertionLine(), "since start");
    }
}
