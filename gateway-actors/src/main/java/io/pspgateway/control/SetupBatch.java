package io.pspgateway.control;

import io.pspgateway.control.GatewayStats.HoldDrop;
import io.pspgateway.dataplane.FlowKey;
import io.pspgateway.proto.doca.TunnelParameters;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;

/**
 * The directions of one {@link Session} and how each ended: the data of the per-direction state
 * machine, and the outcomes and failures of the session's current step until it reports them. Not
 * an actor — the session's own state, kept apart so that the session reads as its steps.
 */
final class SetupBatch {

    /** One direction in set-up (or re-key); {@code done} once it is handed over or failed. */
    static final class Direction {
        final FlowKey flow;
        /** The flow's VIPs, made once ({@link FlowKey} makes new ones on every call). */
        final InetAddress source;
        final InetAddress destination;
        /** The tunnel being re-keyed; null in a set-up. */
        final Tunnel existing;
        TunnelParameters params;
        int cryptoId = -1;
        /** The ACL of the reverse SPI minted for the peer, if any. */
        IngressGrants.Grant reverseGrant;
        /** Whether the reverse parameters went out to the peer, which may then send with them. */
        boolean reverseSent;
        InetAddress peerPhysical;
        boolean done;

        /** A direction to set up; {@code params} already known when adopted from a peer's reverse_params, else null. */
        Direction(FlowKey flow, TunnelParameters params) {
            this.flow = flow;
            this.source = flow.source();
            this.destination = flow.destination();
            this.params = params;
            this.existing = null;
        }

        /** An established tunnel to re-key: its slot, grant and peer are kept. */
        Direction(Tunnel existing) {
            this.flow = existing.flow();
            this.source = flow.source();
            this.destination = flow.destination();
            this.existing = existing;
            this.cryptoId = existing.cryptoId();
            this.reverseGrant = existing.reverseGrant();
            this.reverseSent = existing.reverseSent();
            this.peerPhysical = existing.peerPhysical();
        }
    }

    private final List<Direction> all;
    private final Map<FlowKey, Direction> byFlow = new HashMap<>();
    private final boolean rekey;
    private final SessionDeps deps;
    private int inSetup;
    private List<Session.Outcome> outcomes = new ArrayList<>();
    /** Failures of the current step by reason, for one log line each. */
    private final Map<String, List<FlowKey>> failures = new LinkedHashMap<>();

    SetupBatch(List<Direction> all, boolean rekey, SessionDeps deps) {
        this.all = all;
        this.rekey = rekey;
        this.deps = deps;
        all.forEach(d -> byFlow.put(d.flow, d));
        this.inSetup = all.size();
    }

    /** The directions in the order they came. */
    List<Direction> all() {
        return all;
    }

    /** The direction of {@code flow}, or null. */
    Direction get(FlowKey flow) {
        return byFlow.get(flow);
    }

    /** Whether no direction is left in set-up. */
    boolean finished() {
        return inSetup == 0;
    }

    /** {@code d}'s entry is live with its new parameters: it is up (or re-keyed). */
    void up(Direction d) {
        Tunnel tunnel;
        if (rekey) {
            deps.stats().tunnelRekeyed();
            tunnel = d.existing.rekeyed(d.params.getSpi(), d.existing.spiGeneration());
        } else {
            deps.stats().tunnelUp();
            tunnel = new Tunnel(d.flow, d.cryptoId, d.params.getSpi(), -1, d.peerPhysical, d.reverseGrant, d.reverseSent);
        }
        d.done = true;
        d.params = null;
        inSetup--;
        outcomes.add(new Session.Outcome(d.flow, null, rekey ? "re-keyed" : "up", tunnel));
    }

    /**
     * Ends {@code d} in failure. A set-up gives back what it holds; a re-key hands the tunnel back
     * unchanged (its old SPI still works).
     */
    void fail(Direction d, HoldDrop why, String reason) {
        if (rekey) {
            end(d, why, reason, d.existing);
        } else {
            lose(d, why, reason, false);
        }
    }

    /**
     * Ends {@code d} in failure with nothing left of it (its slot may have been wiped on the way,
     * its owner may be closing it): all of it is given back.
     */
    void lose(Direction d, HoldDrop why, String reason, boolean peerGone) {
        if (end(d, why, reason, null)) {
            deps.release(d.flow, d.cryptoId, d.reverseGrant, d.reverseSent, peerGone);
        }
    }

    /** Ends {@code d} (unless it already ended; returns whether it did) with {@code left} what remains of the tunnel. */
    private boolean end(Direction d, HoldDrop why, String reason, Tunnel left) {
        if (d.done) {
            return false;
        }
        d.done = true;
        inSetup--;
        if (left == null) {
            deps.stats().tunnelFailed();
        } else {
            deps.stats().rekeyFailed();
        }
        failures.computeIfAbsent(reason, r -> new ArrayList<>()).add(d.flow);
        outcomes.add(new Session.Outcome(d.flow, why, reason, left));
        return true;
    }

    /** The outcomes since the last call. */
    List<Session.Outcome> takeOutcomes() {
        List<Session.Outcome> taken = outcomes;
        outcomes = new ArrayList<>();
        return taken;
    }

    /** Logs the failures since the last call, one line per reason. */
    void logFailures(Logger log) {
        failures.forEach((reason, flows) -> log.info("{} of {} tunnel(s) failed ({}{}): {}", rekey ? "re-key" : "set-up", flows.size(),
                flows.getFirst(), flows.size() > 1 ? " and others" : "", reason));
        failures.clear();
    }
}
