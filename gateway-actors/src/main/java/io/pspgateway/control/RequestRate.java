package io.pspgateway.control;

import java.util.function.LongSupplier;

/**
 * One peer's budget of gRPC requests: a token bucket that refills {@code perSecond} tokens a
 * second up to {@code burst}. A peer that asks faster is refused (RESOURCE_EXHAUSTED) instead of
 * being served at the expense of the others. Thread-safe; the clock is injectable so that tests
 * move time rather than wait for it.
 */
final class RequestRate {
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final double perNano;
    private final double burst;
    private final LongSupplier nanoClock;
    private double tokens;
    private long refilledAt;

    RequestRate(int perSecond, int burst, LongSupplier nanoClock) {
        if (perSecond < 1 || burst < 1) {
            throw new IllegalArgumentException("a request rate needs at least 1 request a second and a burst of 1");
        }
        this.perNano = (double) perSecond / NANOS_PER_SECOND;
        this.burst = burst;
        this.nanoClock = nanoClock;
        this.tokens = burst;
        this.refilledAt = nanoClock.getAsLong();
    }

    /** Takes one request's token; false when the budget is spent for now. */
    synchronized boolean tryTake() {
        long now = nanoClock.getAsLong();
        tokens = Math.min(burst, tokens + (now - refilledAt) * perNano);
        refilledAt = now;
        if (tokens < 1) {
            return false;
        }
        tokens -= 1;
        return true;
    }
}
