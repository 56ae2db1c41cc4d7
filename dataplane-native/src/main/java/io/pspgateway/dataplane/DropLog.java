package io.pspgateway.dataplane;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * Logs drops that a host can cause by the thousand (the kernel's own link-local chatter) at most
 * once per reason per interval: the first drop of a reason is logged at once with the pair that
 * caused it, later ones only in the count the next line carries. Safe on packet threads: the
 * common case is one volatile read; the thread that wins the interval's slot writes the line.
 */
public final class DropLog {
    private final Logger log;
    private final long intervalNanos;
    private final LongSupplier nanoClock;
    private final AtomicLongArray nextLogAt = new AtomicLongArray(DropReason.values().length);
    private final LongAdder[] sinceLastLine = new LongAdder[DropReason.values().length];

    public DropLog(Logger log, Duration interval) {
        this(log, interval, System::nanoTime);
    }

    /** As above, reading the time from {@code nanoClock} (tests move it by hand). */
    public DropLog(Logger log, Duration interval, LongSupplier nanoClock) {
        this.log = log;
        this.intervalNanos = interval.toNanos();
        this.nanoClock = nanoClock;
        for (int i = 0; i < sinceLastLine.length; i++) {
            sinceLastLine[i] = new LongAdder();
        }
    }

    /** Notes one drop of {@code reason} for {@code pair}; logs it when this reason's interval has passed. */
    public void record(DropReason reason, FlowKey pair) {
        int r = reason.ordinal();
        sinceLastLine[r].increment();
        long now = nanoClock.getAsLong();
        long due = nextLogAt.get(r);
        if (due != 0 && now - due < 0) {
            return;
        }
        // 0 means "never logged": the next deadline is kept odd so that it is never 0
        if (!nextLogAt.compareAndSet(r, due, (now + intervalNanos) | 1)) {
            return;
        }
        long count = sinceLastLine[r].sumThenReset();
        log.info("dropped {} packet(s) as {} since the last such line, e.g. {} (no tunnel is set up for them; logged at most "
                + "once per {} s)", count, reason, pair, intervalNanos / 1_000_000_000L);
    }
}
