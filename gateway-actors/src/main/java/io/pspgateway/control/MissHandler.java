package io.pspgateway.control;

import io.pspgateway.control.GatewayStats.HoldDrop;
import io.pspgateway.dataplane.FlowKey;
import io.pspgateway.dataplane.HeldPacket;
import io.pspgateway.dataplane.HoldReason;
import io.pspgateway.proto.doca.TunnelParameters;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The slow path: receives the miss poller's batches, groups the packets by VIP pair, holds them
 * in bounded per-pair queues (with a global cap) while exactly one {@link Session} per pair sets
 * the tunnel up, and re-injects them in arrival order once it is up — or drops and counts them
 * when it fails or the hold times out. It is the parent of every session.
 *
 * <p>Supervision: restart. A restart stops the sessions (each releases its slot, entry and reverse
 * ACL in its PostStop), so nothing leaks and traffic simply misses again; the packets held at that
 * moment are counted as dropped ({@code HANDLER_RESTART}) before the state goes.
 */
public final class MissHandler extends AbstractBehavior<MissHandler.Command> {

    public sealed interface Command {
    }

    /** A batch from the miss poller. */
    public record Missed(List<HeldPacket> packets) implements Command {
    }

    /** Set up the tunnel for {@code flow} now, with no packet waiting (static tunnels). */
    public record Ensure(FlowKey flow) implements Command {
    }

    /** A peer sent parameters for our return direction: install them as an established session. */
    public record AdoptReverse(FlowKey flow, TunnelParameters params) implements Command {
    }

    /** A peer gateway left the cluster: close every session towards it; its VIPs re-resolve on the next miss. */
    public record PeerGone(java.net.InetAddress physical) implements Command {
    }

    /**
     * Who owns which VIP in the cluster now (physical address, or null when the cluster does not
     * say): sessions whose destination moved to another gateway are closed, so their next packet
     * misses and tunnels to the new owner.
     */
    public record Owners(java.util.function.Function<java.net.InetAddress, java.net.InetAddress> ownerOf) implements Command {
    }

    /** Tear down every session (shutdown). */
    public record CloseAll() implements Command {
    }

    public record GetSessions(ActorRef<Integer> replyTo) implements Command {
    }

    /**
     * The gateway at {@code physical} rotated its master keys to {@code generation}: its sessions
     * re-key where their SPI is of the key it will retire next.
     */
    public record PeerKeys(java.net.InetAddress physical, long generation) implements Command {
    }

    /** The VIP pairs whose tunnel is up. */
    public record GetFlows(ActorRef<List<FlowKey>> replyTo) implements Command {
    }

    private record SessionOutcome(Session.Outcome outcome) implements Command {
    }

    private record HoldExpired(FlowKey flow, long generation) implements Command {
    }

    private record SessionStopped(FlowKey flow, ActorRef<Session.Command> session) implements Command {
    }

    /** What is known about one VIP pair. */
    private static final class FlowState {
        final ActorRef<Session.Command> session;
        final ArrayDeque<HeldPacket> held = new ArrayDeque<>();
        final long generation;
        boolean up;
        java.net.InetAddress peer;

        FlowState(ActorRef<Session.Command> session, long generation) {
            this.session = session;
            this.generation = generation;
        }
    }

    private final Session.Deps deps;
    private final ActorRef<DataplaneActor.Command> dataplane;
    private final GatewayStats stats;
    private final ControlSettings settings;
    private final TimerScheduler<Command> timers;
    private final Map<FlowKey, FlowState> flows = new HashMap<>();
    private final Map<FlowKey, Long> failedUntil = new HashMap<>();
    /** Each peer's master-key generation, as the cluster last announced it. */
    private final Map<java.net.InetAddress, Long> peerKeyGenerations = new HashMap<>();
    private int totalHeld;
    /** Packets of the batch being held that have been dealt with (for the count if holding fails). */
    private int batchTaken;
    private long generations;

    private MissHandler(ActorContext<Command> context, TimerScheduler<Command> timers, Session.Deps deps) {
        super(context);
        this.timers = timers;
        this.deps = deps;
        this.dataplane = deps.dataplane();
        this.stats = deps.stats();
        this.settings = deps.settings().control();
    }

    /** {@code deps.outcomes()} is ignored: sessions report to this actor. */
    static Behavior<Command> create(Session.Deps deps) {
        return Behaviors.<Command>supervise(Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            ActorRef<Session.Outcome> outcomes = ctx.messageAdapter(Session.Outcome.class, SessionOutcome::new);
            Session.Deps own = new Session.Deps(deps.directory(), deps.slots(), deps.dataplane(), outcomes, deps.settings(),
                    deps.stats(), deps.crashPoints(), deps.grants());
            return new MissHandler(ctx, timers, own);
        }))).onFailure(RuntimeException.class, org.apache.pekko.actor.typed.SupervisorStrategy.restart());
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Missed.class, this::onMissed)
                .onMessage(Ensure.class, m -> {
                    stateFor(m.flow(), null);
                    return this;
                })
                .onMessage(AdoptReverse.class, this::onAdopt)
                .onMessage(SessionOutcome.class, m -> onOutcome(m.outcome()))
                .onMessage(HoldExpired.class, this::onHoldExpired)
                .onMessage(SessionStopped.class, this::onSessionStopped)
                .onMessage(PeerKeys.class, this::onPeerKeys)
                .onMessage(PeerGone.class, m -> {
                    peerKeyGenerations.remove(m.physical());
                    int closed = 0;
                    for (FlowState f : flows.values()) {
                        if (m.physical().equals(f.peer)) {
                            f.session.tell(new Session.Close(true));
                            closed++;
                        }
                    }
                    getContext().getLog().info("peer {} is gone: closing {} session(s) towards it", m.physical().getHostAddress(), closed);
                    return this;
                })
                .onMessage(Owners.class, m -> {
                    for (Map.Entry<FlowKey, FlowState> e : flows.entrySet()) {
                        FlowState f = e.getValue();
                        java.net.InetAddress owner = m.ownerOf().apply(e.getKey().destination());
                        if (f.up && f.peer != null && owner != null && !owner.equals(f.peer)) {
                            getContext().getLog().info("{} moved from {} to {}: re-tunnelling", e.getKey().destination().getHostAddress(),
                                    f.peer.getHostAddress(), owner.getHostAddress());
                            f.session.tell(new Session.Close(false));
                        }
                    }
                    return this;
                })
                .onMessage(CloseAll.class, m -> {
                    flows.values().forEach(f -> f.session.tell(new Session.Close(false)));
                    return this;
                })
                .onSignal(org.apache.pekko.actor.typed.PreRestart.class, signal -> {
                    stats.dropped(HoldDrop.HANDLER_RESTART, totalHeld);
                    return this;
                })
                .onMessage(GetFlows.class, m -> {
                    m.replyTo().tell(flows.entrySet().stream().filter(e -> e.getValue().up).map(Map.Entry::getKey).toList());
                    return this;
                })
                .onMessage(GetSessions.class, m -> {
                    m.replyTo().tell((int) flows.values().stream().filter(f -> f.up).count());
                    return this;
                })
                .build();
    }

    private Behavior<Command> onMissed(Missed m) {
        List<HeldPacket> now = new ArrayList<>();
        batchTaken = 0;
        try {
            deps.crashPoints().reach(CrashPoints.Point.MISS_HANDLER_MISSED);
            hold(m.packets(), now);
        } catch (RuntimeException e) {
            // a bug while holding the batch: what was not held yet, and what was about to be re-injected,
            // is counted before the restart (which counts everything held)
            int unheld = (int) m.packets().subList(batchTaken, m.packets().size()).stream()
                    .filter(p -> p.reason() == HoldReason.MISS).count();
            stats.held(unheld);
            stats.dropped(HoldDrop.HANDLER_RESTART, unheld + now.size());
            throw e;
        }
        reinject(now);
        return this;
    }

    /** Holds the misses of {@code packets}, or puts them in {@code now} when their tunnel is up; counts them in {@link #batchTaken}. */
    private void hold(List<HeldPacket> packets, List<HeldPacket> now) {
        long nowNanos = System.nanoTime();
        for (; batchTaken < packets.size(); batchTaken++) {
            HeldPacket p = packets.get(batchTaken);
            if (p.reason() != HoldReason.MISS) {
                getContext().getLog().debug("sampled packet ({}) {}", p.reason(), p.flow());
                continue;
            }
            stats.held(1);
            FlowState state = flows.get(p.flow());
            if (state == null) {
                Long until = failedUntil.get(p.flow());
                if (until != null && nowNanos < until) {
                    stats.dropped(HoldDrop.RECENTLY_FAILED, 1);
                    continue;
                }
                failedUntil.remove(p.flow());
                state = stateFor(p.flow(), null);
            }
            if (state.up) {
                // the tunnel came up while this packet was on its way to us
                now.add(p);
            } else if (state.held.size() >= settings.holdPerFlow() || totalHeld >= settings.holdTotal()) {
                stats.dropped(HoldDrop.HOLD_QUEUE_FULL, 1);
            } else {
                state.held.add(p);
                totalHeld++;
            }
        }
    }

    private FlowState stateFor(FlowKey flow, TunnelParameters given) {
        FlowState state = flows.get(flow);
        if (state != null) {
            return state;
        }
        ActorRef<Session.Command> session = getContext().spawnAnonymous(
                given == null ? Session.request(flow, deps) : Session.adopt(flow, given, deps));
        getContext().watchWith(session, new SessionStopped(flow, session));
        state = new FlowState(session, ++generations);
        flows.put(flow, state);
        timers.startSingleTimer(flow, new HoldExpired(flow, state.generation), settings.holdTimeout());
        return state;
    }

    private Behavior<Command> onAdopt(AdoptReverse m) {
        FlowState existing = flows.get(m.flow());
        if (existing != null) {
            // we are already setting this direction up ourselves (both sides asked at once): keep ours
            return this;
        }
        stateFor(m.flow(), m.params());
        return this;
    }

    private Behavior<Command> onOutcome(Session.Outcome o) {
        FlowState state = flows.get(o.flow());
        if (state == null || !state.session.equals(o.session())) {
            return this;
        }
        timers.cancel(o.flow());
        if (o.up()) {
            state.up = true;
            state.peer = o.peerPhysical();
            Long peerKeys = peerKeyGenerations.get(o.peerPhysical());
            if (peerKeys != null) {
                // the peer may have rotated while we were asking: the session checks its SPI
                o.session().tell(new Session.PeerKeys(peerKeys));
            }
            List<HeldPacket> release = new ArrayList<>(state.held);
            totalHeld -= state.held.size();
            state.held.clear();
            reinject(release);
        } else {
            drop(state, o.failure());
            flows.remove(o.flow());
            failedUntil.put(o.flow(), System.nanoTime() + settings.retryFailedAfter().toNanos());
        }
        return this;
    }

    private Behavior<Command> onPeerKeys(PeerKeys m) {
        Long before = peerKeyGenerations.put(m.physical(), m.generation());
        if (before != null && before >= m.generation()) {
            return this;
        }
        int told = 0;
        for (FlowState f : flows.values()) {
            if (f.up && m.physical().equals(f.peer)) {
                f.session.tell(new Session.PeerKeys(m.generation()));
                told++;
            }
        }
        if (before != null) {
            getContext().getLog().info("peer {} rotated its master keys (generation {}): {} session(s) towards it check their SPI",
                    m.physical().getHostAddress(), m.generation(), told);
        }
        return this;
    }

    private Behavior<Command> onHoldExpired(HoldExpired m) {
        FlowState state = flows.get(m.flow());
        if (state != null && state.generation == m.generation() && !state.up) {
            drop(state, HoldDrop.HOLD_TIMEOUT);
        }
        return this;
    }

    private Behavior<Command> onSessionStopped(SessionStopped m) {
        FlowState state = flows.get(m.flow());
        if (state != null && state.session.equals(m.session())) {
            drop(state, HoldDrop.TUNNEL_FAILED);
            flows.remove(m.flow());
            timers.cancel(m.flow());
        }
        return this;
    }

    private void drop(FlowState state, HoldDrop why) {
        if (!state.held.isEmpty()) {
            stats.dropped(why, state.held.size());
            totalHeld -= state.held.size();
            state.held.clear();
        }
    }

    private void reinject(List<HeldPacket> packets) {
        if (!packets.isEmpty()) {
            stats.delivered(packets.size());
            dataplane.tell(new DataplaneActor.Reinject(packets));
        }
    }
}
