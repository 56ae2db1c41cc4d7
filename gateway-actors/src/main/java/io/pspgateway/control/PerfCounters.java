package io.pspgateway.control;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Key-generation and insertion rates, as the original's {@code --perf-print} reports them:
 * "Generated N SPI/Key pairs in X seconds, Y KILO-KPS" and "Added N encrypt entries in X
 * seconds, Y Kilo-EPS". Written by the Dataplane actor, read by the printer.
 */
public final class PerfCounters {
    private final AtomicLong keys = new AtomicLong();
    private final AtomicLong keyNanos = new AtomicLong();
    private final AtomicLong entries = new AtomicLong();
    private final AtomicLong entryNanos = new AtomicLong();

    void keysGenerated(int n, long nanos) {
        keys.addAndGet(n);
        keyNanos.addAndGet(nanos);
    }

    void entriesAdded(int n, long nanos) {
        entries.addAndGet(n);
        entryNanos.addAndGet(nanos);
    }

    /** The original's key-generation line. */
    public String keyGenLine() {
        double s = keyNanos.get() / 1e9;
        return String.format(java.util.Locale.ROOT, "Generated %d SPI/Key pairs in %.6f seconds, %.3f KILO-KPS",
                keys.get(), s, s == 0 ? 0 : keys.get() / s / 1000);
    }

    /** The original's insertion line. */
    public String insertionLine() {
        double s = entryNanos.get() / 1e9;
        return String.format(java.util.Locale.ROOT, "Added %d encrypt entries in %.6f seconds, %.3f Kilo-EPS",
                entries.get(), s, s == 0 ? 0 : entries.get() / s / 1000);
    }
}
