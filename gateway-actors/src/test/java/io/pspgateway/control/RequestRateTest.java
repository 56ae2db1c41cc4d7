package io.pspgateway.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RequestRateTest {
    @Test
    void aBurstIsServedThenTheRateRefillsIt() {
        AtomicLong now = new AtomicLong(5_000_000_000L);
        RequestRate rate = new RequestRate(10, 3, now::get);
        int served = 0;
        while (rate.tryTake()) {
            served++;
        }
        assertEquals(3, served, "the burst");
        now.addAndGet(100_000_000L);
        assertTrue(rate.tryTake(), "a tenth of a second buys one request at 10/s");
        assertFalse(rate.tryTake());
        now.addAndGet(60_000_000_000L);
        served = 0;
        while (rate.tryTake()) {
            served++;
        }
        assertEquals(3, served, "a long quiet spell refills no more than the burst");
    }
}
