package io.pspgateway.control;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Key-generation and insertion rates, as the original's {@code --perf-print} reports them:
 * "Generated N SPI/Key pairs in X seconds, Y KILO-KPS" and "Added N encrypt entries in X
 * seconds, Y Kilo-EPS", with X the time spent inside the generation and the inserts. Written by
 * the Dataplane actor, read by the printer: since start, or over a stretch of time (the difference
 * of two {@link Reading}s). The inserts' CPU time is kept too: on a busy machine the wall-clock
 * time inside them includes the time their thread waited for a core, which says more about the
 * machine than about the inserts.
 */
public final class PerfCounters {
    private final AtomicLong keys = new AtomicLong();
    private final AtomicLong keyNanos = new AtomicLong();
    private final AtomicLong entries = new AtomicLong();
    private final AtomicLong entryNanos = new AtomicLong();
    private final AtomicLong entryCpuNanos = new AtomicLong();

    /** The counts at one moment. */
    public record Reading(long keys, long keyNanos, long entries, long entryNanos, long entryCpuNanos) {

        /** What happened between {@code earlier} and this reading. */
        public Reading since(Reading earlier) {
            return new Reading(keys - earlier.keys, keyNanos - earlier.keyNanos, entries - earlier.entries,
                    entryNanos - earlier.entryNanos, entryCpuNanos - earlier.entryCpuNanos);
        }

        /** As {@link #insertionLine()}, over the CPU time of the inserts. */
        public String insertionCpuLine() {
            double s = entryCpuNanos / 1e9;
            return String.format(Locale.ROOT, "Added %d encrypt entries in %.6f CPU seconds, %.3f Kilo-EPS", entries, s,
                    s == 0 ? 0 : entries / s / 1000);
        }

        /** The original's key-generation line. */
        public String keyGenLine() {
            double s = keyNanos / 1e9;
            return String.format(Locale.ROOT, "Generated %d SPI/Key pairs in %.6f seconds, %.3f KILO-KPS", keys, s,
                    s == 0 ? 0 : keys / s / 1000);
        }

        /** The original's insertion line. */
        public String insertionLine() {
            double s = entryNanos / 1e9;
            return String.format(Locale.ROOT, "Added %d encrypt entries in %.6f seconds, %.3f Kilo-EPS", entries, s,
                    s == 0 ? 0 : entries / s / 1000);
        }
    }

    void keysGenerated(int n, long nanos) {
        keys.addAndGet(n);
        keyNanos.addAndGet(nanos);
    }

    void entriesAdded(int n, long nanos, long cpuNanos) {
        entries.addAndGet(n);
        entryNanos.addAndGet(nanos);
        entryCpuNanos.addAndGet(cpuNanos);
    }

    public Reading read() {
        return new Reading(keys.get(), keyNanos.get(), entries.get(), entryNanos.get(), entryCpuNanos.get());
    }

    /** The key-generation line since start. */
    public String keyGenLine() {
        return read().keyGenLine();
    }

    /** The insertion line since start. */
    public String insertionLine() {
        return read().insertionLine();
    }
}
