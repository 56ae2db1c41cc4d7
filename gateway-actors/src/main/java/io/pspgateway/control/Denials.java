package io.pspgateway.control;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gRPC requests refused because of who sent them or what they claimed: counted by reason in
 * {@link GatewayStats}, logged at most once per reason every 10 s (a hostile peer's flood must not
 * flood the log too), with the count so far.
 */
final class Denials {
    private static final Logger log = LoggerFactory.getLogger(Denials.class);
    private static final long LOG_INTERVAL_NANOS = 10_000_000_000L;

    private final GatewayStats stats;
    private final Map<Authorizer.Denial, AtomicLong> lastLogged = new EnumMap<>(Authorizer.Denial.class);

    Denials(GatewayStats stats) {
        this.stats = stats;
        for (Authorizer.Denial d : Authorizer.Denial.values()) {
            lastLogged.put(d, new AtomicLong(System.nanoTime() - LOG_INTERVAL_NANOS));
        }
    }

    /** One refusal for {@code why}; {@code what} says who asked for what (no key material). */
    void record(Authorizer.Denial why, String what) {
        stats.deny(why);
        AtomicLong last = lastLogged.get(why);
        long now = System.nanoTime();
        long before = last.get();
        if (now - before >= LOG_INTERVAL_NANOS && last.compareAndSet(before, now)) {
            log.warn("gRPC request refused ({}): {}; {} refused so far for this reason", why, what, stats.denied(why));
        }
    }
}
