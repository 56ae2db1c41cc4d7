package io.pspgateway.psp;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Source of the 64-bit PSP IVs for one transmit key. An IV must never repeat under one key;
 * both implementations hand out strictly increasing values and are safe to share between
 * packet threads.
 */
public sealed interface IvSequence permits IvSequence.Counter, IvSequence.Clock {

    /** The next IV; strictly greater than every IV this sequence returned before. */
    default long next() {
        return reserve(1);
    }

    /**
     * Reserves {@code count} consecutive IVs for one caller and returns the first: all of them
     * strictly greater than every IV this sequence returned before, and never returned again.
     */
    long reserve(int count);

    /** Deterministic counter starting at {@code first}, as Google's reference tool does (from 1). */
    static IvSequence counterFrom(long first) {
        return new Counter(first);
    }

    /**
     * A counter that starts at the current time in nanoseconds since the Unix epoch: as cheap as
     * a counter per packet (one atomic increment, no clock read), and still increasing across
     * restarts unless the previous run sent faster than one packet per nanosecond on average.
     * The data plane's choice for its key slots.
     */
    static IvSequence counterFromNow() {
        return new Counter(System.currentTimeMillis() * 1_000_000L + System.nanoTime() % 1_000_000L);
    }

    /**
     * Nanoseconds since the Unix epoch, bumped by one whenever the clock has not moved since the
     * last IV: the "strictly increasing timestamp" the spec suggests. A restarted sender keeps
     * increasing across restarts as long as the wall clock does.
     */
    static IvSequence clock() {
        return new Clock();
    }

    final class Counter implements IvSequence {
        private final AtomicLong nextValue;

        private Counter(long first) {
            this.nextValue = new AtomicLong(first);
        }

        @Override
        public long reserve(int count) {
            return nextValue.getAndAdd(count);
        }
    }

    final class Clock implements IvSequence {
        private final long epochNanosAtStart = System.currentTimeMillis() * 1_000_000L;
        private final long monotonicAtStart = System.nanoTime();
        private final AtomicLong last = new AtomicLong(Long.MIN_VALUE);

        private Clock() {
        }

        @Override
        public long reserve(int count) {
            long now = epochNanosAtStart + (System.nanoTime() - monotonicAtStart);
            while (true) {
                long previous = last.get();
                long first = Math.max(now, previous + 1);
                if (last.compareAndSet(previous, first + count - 1)) {
                    return first;
                }
            }
        }
    }
}
