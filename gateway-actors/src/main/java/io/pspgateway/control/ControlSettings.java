package io.pspgateway.control;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The control plane's own knobs, read once from the {@code pspgw} section of the configuration
 * (defaults in reference.conf).
 */
public record ControlSettings(Duration holdTimeout, int holdPerFlow, int holdTotal, Duration retryFailedAfter,
                              Duration coalesceWindow, int maxTunnelsPerRequest, boolean sendReverseParams,
                              Duration requestTimeout, int retries, Duration backoffMin, Duration backoffMax,
                              int breakerFailures, Duration breakerReset, Duration rotationInterval,
                              Duration minRotationInterval, Duration grantIdleClose, int maxMessageBytes,
                              PeerLimits peerLimits) {

    public static ControlSettings from(Config config) {
        Config c = config.getConfig("pspgw");
        Config g = c.getConfig("grpc");
        Config k = c.getConfig("keys");
        Duration every = k.getDuration("rotation-interval");
        Duration atMost = k.getDuration("min-rotation-interval");
        if (!every.isZero() && every.compareTo(atMost) < 0) {
            throw new IllegalArgumentException("pspgw setting keys.rotation-interval (" + every
                    + ") is shorter than keys.min-rotation-interval (" + atMost + "): every other rotation would be refused");
        }
        return new ControlSettings(c.getDuration("hold-timeout"), positive(c, "hold-per-flow"), positive(c, "hold-total"),
                c.getDuration("retry-failed-after"), c.getDuration("coalesce-window"), positive(c, "max-tunnels-per-request"),
                c.getBoolean("send-reverse-params"), g.getDuration("request-timeout"), g.getInt("retries"),
                g.getDuration("backoff-min"), g.getDuration("backoff-max"), positive(g, "breaker-failures"),
                g.getDuration("breaker-reset"), every, atMost, c.getDuration("grant-idle-close"), messageSize(g),
                PeerLimits.from(c));
    }

    /** How long a set-up (or re-key) may take: one request for parameters, retries included. */
    public Duration setupBudget() {
        return requestTimeout.multipliedBy(retries + 1).plus(backoffMax.multipliedBy(retries));
    }

    private static int messageSize(Config grpc) {
        long bytes = grpc.getBytes("max-message-size");
        if (bytes < 64 * 1024 || bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("pspgw setting grpc.max-message-size must be 64KiB to 2GiB, got " + bytes + " bytes");
        }
        return (int) bytes;
    }

    private static int positive(Config c, String path) {
        int v = c.getInt(path);
        if (v < 1) {
            throw new IllegalArgumentException("pspgw setting " + path + " must be at least 1, got " + v);
        }
        return v;
    }
}
