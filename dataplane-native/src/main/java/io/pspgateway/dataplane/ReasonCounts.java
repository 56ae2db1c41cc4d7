package io.pspgateway.dataplane;

import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts by reason ({@link DropReason}, {@link HoldReason}), bumped from any packet thread
 * without contention (one {@link LongAdder} per constant) and read as a snapshot for
 * {@link DataplaneCounters}.
 */
public final class ReasonCounts<E extends Enum<E>> {
    private final Class<E> type;
    private final LongAdder[] counts;

    public ReasonCounts(Class<E> type) {
        this.type = type;
        this.counts = new LongAdder[type.getEnumConstants().length];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new LongAdder();
        }
    }

    public void increment(E reason) {
        counts[reason.ordinal()].increment();
    }

    public void add(E reason, long n) {
        counts[reason.ordinal()].add(n);
    }

    /** Each reason's count now, by ordinal. */
    public long[] sums() {
        long[] s = new long[counts.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = counts[i].sum();
        }
        return s;
    }

    /** The reasons counted at least once, with their counts. */
    public Map<E, Long> nonZero() {
        return DataplaneCounters.nonZero(type, sums());
    }
}
