package io.pspgateway.control;

import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The control plane's counters: packets held for tunnels and what became of them, tunnels set
 * up, gRPC calls made. Updated by the actors, read by anyone (printers, tests, benchmarks).
 * Invariant once the hold queues are empty: held = delivered + dropped.
 */
public final class GatewayStats {
    /** Why held packets were dropped instead of re-injected. */
    public enum HoldDrop {
        /** The destination's hold queue, or all hold queues together, were full. */
        HOLD_QUEUE_FULL,
        /** The tunnel was not up within pspgw.hold-timeout. */
        HOLD_TIMEOUT,
        /** No peer serves the destination VIP. */
        NO_PEER,
        /** The peer refused or could not be reached. */
        TUNNEL_FAILED,
        /** No crypto slot left (--max-tunnels). */
        NO_CRYPTO_SLOT,
        /** The VIP pair's last tunnel request failed moments ago (pspgw.retry-failed-after). */
        RECENTLY_FAILED,
        /** The miss handler was restarted after a bug; what it held is gone. */
        HANDLER_RESTART
    }

    private final LongAdder held = new LongAdder();
    private final LongAdder delivered = new LongAdder();
    private final Map<HoldDrop, LongAdder> dropped = new EnumMap<>(HoldDrop.class);
    private final LongAdder tunnelsUp = new LongAdder();
    private final LongAdder tunnelsFailed = new LongAdder();
    private final LongAdder grpcCalls = new LongAdder();
    private final LongAdder tunnelsRequested = new LongAdder();
    private final LongAdder tunnelsServed = new LongAdder();
    private final LongAdder tunnelsRekeyed = new LongAdder();
    private final LongAdder rekeysFailed = new LongAdder();
    private final Map<Authorizer.Denial, LongAdder> denied = new EnumMap<>(Authorizer.Denial.class);
    /** By peer, then by limit; known peers only, so their number is bounded. */
    private final Map<String, Map<PeerLimits.Limit, LongAdder>> limitedByPeer = new ConcurrentHashMap<>();

    public GatewayStats() {
        for (HoldDrop d : HoldDrop.values()) {
            dropped.put(d, new LongAdder());
        }
        for (Authorizer.Denial d : Authorizer.Denial.values()) {
            denied.put(d, new LongAdder());
        }
    }

    void deny(Authorizer.Denial why) {
        denied.get(why).increment();
    }

    /** {@code peer} was refused {@code n} of something (requests, tunnels, reverse parameters) by {@code limit}. */
    void limited(String peer, PeerLimits.Limit limit, long n) {
        limitedByPeer.computeIfAbsent(peer, p -> new ConcurrentHashMap<>()).computeIfAbsent(limit, l -> new LongAdder()).add(n);
    }

    /** What {@code pspgw.peer-limits} refused, by peer and limit (see {@link PeerLimits.Limit} for what each counts). */
    public Map<String, Map<PeerLimits.Limit, Long>> limitedByPeer() {
        Map<String, Map<PeerLimits.Limit, Long>> out = new TreeMap<>();
        limitedByPeer.forEach((peer, byLimit) -> {
            Map<PeerLimits.Limit, Long> counts = new EnumMap<>(PeerLimits.Limit.class);
            byLimit.forEach((limit, n) -> counts.put(limit, n.sum()));
            out.put(peer, counts);
        });
        return out;
    }

    /** gRPC requests refused because of who sent them or what they claimed. */
    public long denied(Authorizer.Denial why) {
        return denied.get(why).sum();
    }

    public long deniedTotal() {
        return denied.values().stream().mapToLong(LongAdder::sum).sum();
    }

    void held(int n) {
        held.add(n);
    }

    void delivered(int n) {
        delivered.add(n);
    }

    void dropped(HoldDrop why, int n) {
        dropped.get(why).add(n);
    }

    void tunnelUp() {
        tunnelsUp.increment();
    }

    void tunnelFailed() {
        tunnelsFailed.increment();
    }

    void tunnelRekeyed() {
        tunnelsRekeyed.increment();
    }

    void rekeyFailed() {
        rekeysFailed.increment();
    }

    void grpcCallMade(int tunnels) {
        grpcCalls.increment();
        tunnelsRequested.add(tunnels);
    }

    void tunnelsServed(int n) {
        tunnelsServed.add(n);
    }

    public long held() {
        return held.sum();
    }

    public long delivered() {
        return delivered.sum();
    }

    public long dropped(HoldDrop why) {
        return dropped.get(why).sum();
    }

    public long droppedTotal() {
        return dropped.values().stream().mapToLong(LongAdder::sum).sum();
    }

    public long tunnelsUp() {
        return tunnelsUp.sum();
    }

    public long tunnelsFailed() {
        return tunnelsFailed.sum();
    }

    /** Established tunnels that took a fresh SPI from their peer after it rotated its master keys. */
    public long tunnelsRekeyed() {
        return tunnelsRekeyed.sum();
    }

    /** Re-key attempts that failed (each is retried while the tunnel lives). */
    public long rekeysFailed() {
        return rekeysFailed.sum();
    }

    /** RequestMultipleTunnelParams calls this gateway made. */
    public long grpcCalls() {
        return grpcCalls.sum();
    }

    /** Tunnels asked for in those calls. */
    public long tunnelsRequested() {
        return tunnelsRequested.sum();
    }

    /** Tunnels this gateway's TunnelService minted for peers. */
    public long tunnelsServed() {
        return tunnelsServed.sum();
    }

    @Override
    public String toString() {
        return "held " + held() + ", delivered " + delivered() + ", dropped " + nonZero(dropped) + ", tunnels up " + tunnelsUp()
                + ", failed " + tunnelsFailed() + ", re-keyed " + tunnelsRekeyed() + ", gRPC calls " + grpcCalls() + " for " + tunnelsRequested()
                + " tunnels, requests refused " + nonZero(denied) + (limitedByPeer.isEmpty() ? "" : ", peers limited " + limitedByPeer());
    }

    private static <E extends Enum<E>> Map<E, Long> nonZero(Map<E, LongAdder> counts) {
        Map<E, Long> out = new TreeMap<>();
        counts.forEach((k, v) -> {
            if (v.sum() != 0) {
                out.put(k, v.sum());
            }
        });
        return out;
    }
}
