package io.pspgateway.control;

import io.pspgateway.control.GatewayStats.HoldDrop;
import io.pspgateway.dataplane.EncryptEntry;
import io.pspgateway.dataplane.FlowKey;
import io.pspgateway.dataplane.HeldPacket;
import io.pspgateway.dataplane.HoldReason;
import io.pspgateway.psp.IpText;
import java.time.Duration;
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
 * in bounded per-pair queues (with a global cap) while exactly one {@link Session} sets up each
 * new pair's tunnel — one session per batch, for all the pairs new in it — and re-injects them in
 * arrival order once it is up, or drops and counts them when it fails or the hold times out. It is
 * the parent of every session, and the owner of every established tunnel: a session hands each
 * {@link Tunnel} (and its crypto slot) over as it comes up, and stops when its batch is done.
 *
 * <p>Established tunnels are re-keyed here, make-before-break: when a peer rotates its master
 * keys, every tunnel whose SPI is of the key the peer retires next asks the peer for a fresh SPI
 * (through its Peer actor, so a thousand re-keys make a few coalesced calls) and reprograms its own
 * crypto slot and entry in one step of the Dataplane actor — no second slot, no gap but the
 * packets in flight at that instant (counted). A re-key that fails is retried every
 * {@code pspgw.grpc.breaker-reset} while the old SPI keeps working until the peer's next rotation.
 * Every change to an established tunnel's entry goes from this actor, so none can overtake its release.
 *
 * <p>Supervision: restart. A restart stops the sessions (each releases the slots, entries and reverse
 * ACLs of its batch in its PostStop) and releases the established tunnels, so nothing leaks and traffic simply
 * misses again; the packets held at that moment are counted as dropped ({@code HANDLER_RESTART})
 * before the state goes.
 */
public final class MissHandler extends AbstractBehavior<MissHandler.Command> {

    public sealed interface Command {
    }

    /** A batch from the miss poller. */
    public record Missed(List<HeldPacket> packets) implements Command {
    }

    /** Set up the tunnels of {@code flows} now, with no packet waiting (static tunnels); pairs already known are left as they are. */
    public record Ensure(List<FlowKey> flows) implements Command {
    }

    /** A peer sent parameters for our return directions (one request's): install them as established tunnels. */
    public record AdoptReverse(List<Session.Adopted> given) implements Command {
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

    private record SessionOutcomes(Session.Outcomes outcomes) implements Command {
    }

    /** The hold time of the packets waiting for {@code session}'s batch of {@code flows} is up. */
    private record HoldExpired(ActorRef<Session.Command> session, List<FlowKey> flows) implements Command {
    }

    private record SessionStopped(ActorRef<Session.Command> session, List<FlowKey> flows) implements Command {
    }

    /** {@code state}: the generation of the flow state that asked, so that a newer one ignores the answer. */
    private record RekeyResolved(FlowKey flow, long state, PeerDirectory.Resolved resolved, Throwable failure) implements Command {
    }

    private record RekeyAnswered(FlowKey flow, long state, Peer.TunnelReply reply, Throwable failure) implements Command {
    }

    private record RekeyInstalled(DataplaneActor.Installed installed) implements Command {
    }

    private record RetryRekey(FlowKey flow) implements Command {
    }

    /**
     * Static tunnels that failed are tried again together, {@code retry-failed-after} after the first
     * failure, then at doubling intervals up to {@link #STATIC_RETRY_MAX} while some keep failing.
     */
    private record RetryStatic() implements Command {
    }

    /** The re-key of {@code flow} started by flow state {@code state} took longer than a set-up may. */
    private record RekeyTimedOut(FlowKey flow, long state) implements Command {
    }

    /** The key of a flow's one re-key timer: the time-out of the re-key in progress, or the retry after a failure. */
    private record RekeyTimer(FlowKey flow) {
    }

    /** What is known about one VIP pair: its session while it is set up, its tunnel once established. */
    private static final class FlowState {
        /** Null once the session has handed the tunnel over. */
        ActorRef<Session.Command> session;
        /** The packets waiting for the tunnel, in arrival order; null while there are none (most pairs, once up). */
        List<HeldPacket> held;
        final long generation;
        boolean up;
        java.net.InetAddress peer;
        Tunnel tunnel;
        boolean rekeying;
        /** The peer's key generation when the re-key in progress asked, and the SPI it is installing. */
        long rekeyGeneration;
        int rekeySpi;

        FlowState(long generation) {
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
    /** The pairs of the tunnel file set up at start (-z), and those of them waiting to be tried again. */
    private final java.util.Set<FlowKey> staticFlows = new java.util.HashSet<>();
    private final java.util.Set<FlowKey> staticRetries = new java.util.LinkedHashSet<>();
    private static final Duration STATIC_RETRY_MAX = Duration.ofMinutes(1);
    private Duration staticRetryDelay;
    /** Sessions that reported on every pair of their batch and are stopping: nothing of theirs is left to forget. */
    private final java.util.Set<ActorRef<Session.Command>> reportedAll = new java.util.HashSet<>();
    /** Each peer's master-key generation, as the cluster last announced it. */
    private final Map<java.net.InetAddress, Long> peerKeyGenerations = new HashMap<>();
    private int totalHeld;
    /** Packets of the batch being held that have been dealt with (for the count if holding fails). */
    private int batchTaken;
    private long generations;

    private final ActorRef<DataplaneActor.Installed> rekeyInstalled;

    private MissHandler(ActorContext<Command> context, TimerScheduler<Command> timers, Session.Deps deps) {
        super(context);
        this.rekeyInstalled = context.messageAdapter(DataplaneActor.Installed.class, RekeyInstalled::new);
        this.timers = timers;
        this.deps = deps;
        this.dataplane = deps.dataplane();
        this.stats = deps.stats();
        this.settings = deps.settings().control();
        this.staticRetryDelay = settings.retryFailedAfter();
    }

    /** The sessions it starts report to it and hand it their tunnels. */
    static Behavior<Command> create(ActorRef<PeerDirectory.Command> directory, ActorRef<CryptoSlotPool.Command> slots,
                                    ActorRef<DataplaneActor.Command> dataplane, ActorRef<IngressGrants.Command> grants,
                                    GatewaySettings settings, GatewayStats stats, ActorDecorator decorator) {
        return Behaviors.<Command>supervise(decorator.decorate(MissHandler.class, Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            ActorRef<Session.Outcomes> outcomes = ctx.messageAdapter(Session.Outcomes.class, SessionOutcomes::new);
            Session.Deps own = new Session.Deps(directory, slots, dataplane, outcomes, settings, stats, decorator, grants, ctx.getSelf());
            return new MissHandler(ctx, timers, own);
        })))).onFailure(RuntimeException.class, org.apache.pekko.actor.typed.SupervisorStrategy.restart());
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Missed.class, this::onMissed)
                .onMessage(Ensure.class, m -> {
                    staticFlows.addAll(m.flows());
                    ensure(m.flows());
                    return this;
                })
                .onMessage(RetryStatic.class, m -> {
                    List<FlowKey> again = List.copyOf(staticRetries);
                    staticRetries.clear();
                    getContext().getLog().info("trying {} failed static tunnel(s) again", again.size());
                    Duration doubled = staticRetryDelay.multipliedBy(2);
                    staticRetryDelay = doubled.compareTo(STATIC_RETRY_MAX) > 0 ? STATIC_RETRY_MAX : doubled;
                    ensure(again);
                    return this;
                })
                .onMessage(AdoptReverse.class, this::onAdopt)
                .onMessage(SessionOutcomes.class, m -> onOutcomes(m.outcomes()))
                .onMessage(HoldExpired.class, this::onHoldExpired)
                .onMessage(SessionStopped.class, this::onSessionStopped)
                .onMessage(PeerKeys.class, this::onPeerKeys)
                .onMessage(RekeyResolved.class, this::onRekeyResolved)
                .onMessage(RekeyAnswered.class, this::onRekeyAnswered)
                .onMessage(RekeyInstalled.class, this::onRekeyInstalled)
                .onMessage(RekeyTimedOut.class, m -> {
                    FlowState f = rekeying(m.flow(), m.state());
                    return f == null ? this : rekeyFailed(m.flow(), f, "no answer within " + rekeyBudget().toMillis() + " ms");
                })
                .onMessage(RetryRekey.class, m -> {
                    FlowState f = flows.get(m.flow());
                    if (f != null) {
                        rekeyIfNeeded(m.flow(), f);
                    }
                    return this;
                })
                .onMessage(PeerGone.class, m -> {
                    peerKeyGenerations.remove(m.physical());
                    int closed = closeWhere((flow, f) -> m.physical().equals(f.peer), true);
                    getContext().getLog().info("peer {} is gone: closing {} tunnel(s) towards it", IpText.of(m.physical()), closed);
                    return this;
                })
                .onMessage(Owners.class, m -> {
                    closeWhere((flow, f) -> {
                        java.net.InetAddress owner = m.ownerOf().apply(flow.destination());
                        boolean moved = f.up && f.peer != null && owner != null && !owner.equals(f.peer);
                        if (moved) {
                            getContext().getLog().info("{} moved from {} to {}: re-tunnelling", IpText.of(flow.destination()),
                                    IpText.of(f.peer), IpText.of(owner));
                        }
                        return moved;
                    }, false);
                    return this;
                })
                .onMessage(CloseAll.class, m -> {
                    closeWhere((flow, f) -> true, false);
                    return this;
                })
                .onSignal(org.apache.pekko.actor.typed.PreRestart.class, signal -> {
                    stats.dropped(HoldDrop.HANDLER_RESTART, totalHeld);
                    releaseEstablished();
                    return this;
                })
                .onSignal(org.apache.pekko.actor.typed.PostStop.class, signal -> {
                    releaseEstablished();
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

    /** The established tunnels are this actor's: a restart or stop would forget them, so they are released first. */
    private void releaseEstablished() {
        closeWhere((flow, f) -> f.session == null && f.tunnel != null, false);
    }

    private Behavior<Command> onMissed(Missed m) {
        List<HeldPacket> now = new ArrayList<>();
        Fresh fresh = new Fresh();
        batchTaken = 0;
        try {
            hold(m.packets(), now, fresh);
        } catch (RuntimeException e) {
            // a bug while holding the batch: what was not held yet, and what was about to be re-injected,
            // is counted before the restart (which counts everything held)
            int unheld = (int) m.packets().subList(batchTaken, m.packets().size()).stream()
                    .filter(p -> p.reason() == HoldReason.MISS).count();
            stats.held(unheld);
            stats.dropped(HoldDrop.HANDLER_RESTART, unheld + now.size());
            throw e;
        }
        if (!fresh.flows().isEmpty()) {
            startSession(fresh, Session.request(fresh.flows(), deps));
        }
        reinject(now);
        return this;
    }

    /**
     * Holds the misses of {@code packets}, or puts them in {@code now} when their tunnel is up; the
     * VIP pairs with no tunnel nor set-up yet go to {@code fresh}. Counts the packets in {@link #batchTaken}.
     */
    private void hold(List<HeldPacket> packets, List<HeldPacket> now, Fresh fresh) {
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
                Long until = failedUntil.isEmpty() ? null : failedUntil.remove(p.flow());
                if (until != null && nowNanos < until) {
                    failedUntil.put(p.flow(), until);
                    stats.dropped(HoldDrop.RECENTLY_FAILED, 1);
                    continue;
                }
                state = new FlowState(++generations);
                flows.put(p.flow(), state);
                fresh.add(p.flow(), state);
            }
            if (state.up) {
                // the tunnel came up while this packet was on its way to us
                now.add(p);
            } else if (state.held != null && state.held.size() >= settings.holdPerFlow() || totalHeld >= settings.holdTotal()) {
                stats.dropped(HoldDrop.HOLD_QUEUE_FULL, 1);
            } else {
                if (state.held == null) {
                    state.held = new ArrayList<>(2);
                }
                state.held.add(p);
                totalHeld++;
            }
        }
    }

    /** Sets up the pairs of {@code wanted} that have no tunnel nor set-up yet, in one session. */
    private void ensure(List<FlowKey> wanted) {
        Fresh fresh = new Fresh();
        wanted.forEach(flow -> addFresh(flow, fresh));
        if (!fresh.flows().isEmpty()) {
            startSession(fresh, Session.request(fresh.flows(), deps));
        }
    }

    /** VIP pairs about to be set up by one session, and their new states, in the same order. */
    private record Fresh(List<FlowKey> flows, List<FlowState> states) {
        Fresh() {
            this(new ArrayList<>(), new ArrayList<>());
        }

        void add(FlowKey flow, FlowState state) {
            flows.add(flow);
            states.add(state);
        }
    }

    /** Gives {@code flow} a new state, to be set up with {@code fresh}, unless it has one; returns whether it did. */
    private boolean addFresh(FlowKey flow, Fresh fresh) {
        FlowState state = new FlowState(generations + 1);
        if (flows.putIfAbsent(flow, state) != null) {
            return false;
        }
        generations++;
        fresh.add(flow, state);
        return true;
    }

    /** Spawns the session that sets up {@code fresh} and starts their hold time. */
    private void startSession(Fresh fresh, Behavior<Session.Command> setup) {
        ActorRef<Session.Command> session = getContext().spawnAnonymous(deps.decorator().decorate(Session.class, setup));
        getContext().watchWith(session, new SessionStopped(session, fresh.flows()));
        fresh.states().forEach(state -> state.session = session);
        timers.startSingleTimer(session, new HoldExpired(session, fresh.flows()), settings.holdTimeout());
    }

    private Behavior<Command> onAdopt(AdoptReverse m) {
        List<Session.Adopted> adopted = new ArrayList<>();
        Fresh fresh = new Fresh();
        for (Session.Adopted a : m.given()) {
            // a direction we are already setting up ourselves (both sides asked at once) stays ours,
            // and a pair named twice in one request is adopted once
            if (addFresh(a.flow(), fresh)) {
                adopted.add(a);
            }
        }
        if (!adopted.isEmpty()) {
            startSession(fresh, Session.adopt(adopted, deps));
        }
        return this;
    }

    private Behavior<Command> onOutcomes(Session.Outcomes outcomes) {
        List<HeldPacket> release = new ArrayList<>();
        for (Session.Outcome o : outcomes.outcomes()) {
            onOutcome(outcomes.session(), o, release);
        }
        if (outcomes.last()) {
            reportedAll.add(outcomes.session());
        }
        reinject(release);
        return this;
    }

    /** Takes the tunnel of an outcome that is up, or forgets the pair of one that failed; what may go now goes to {@code release}. */
    private void onOutcome(ActorRef<Session.Command> session, Session.Outcome o, List<HeldPacket> release) {
        FlowState state = flows.get(o.flow());
        if (state == null || state.session == null || !state.session.equals(session)) {
            return;
        }
        if (o.up()) {
            // the session hands the tunnel over and stops
            state.up = true;
            state.session = null;
            state.peer = o.tunnel().peerPhysical();
            Long known = peerKeyGenerations.get(state.peer);
            // the SPI was asked for under the generation known now or, if the peer rotated while we
            // asked, the one before: the lower bound that lets spiOfRetiringKey see it age
            state.tunnel = known == null ? o.tunnel() : o.tunnel().rekeyed(o.tunnel().spi(), Math.max(known - 1, 0));
            // the peer may have rotated while we were asking
            rekeyIfNeeded(o.flow(), state);
            if (state.held != null) {
                release.addAll(state.held);
                totalHeld -= state.held.size();
                state.held = null;
            }
        } else {
            drop(state, o.failure());
            flows.remove(o.flow());
            failedUntil.put(o.flow(), System.nanoTime() + settings.retryFailedAfter().toNanos());
            if (staticFlows.contains(o.flow())) {
                // the original's -z loop: a static tunnel that failed (its peer not up yet, say) is tried again after the rest
                staticRetries.add(o.flow());
                if (!timers.isTimerActive(RetryStatic.class)) {
                    timers.startSingleTimer(RetryStatic.class, new RetryStatic(), staticRetryDelay);
                }
            }
        }
    }

    private Behavior<Command> onPeerKeys(PeerKeys m) {
        Long before = peerKeyGenerations.put(m.physical(), m.generation());
        if (before != null && before >= m.generation()) {
            return this;
        }
        int rekeying = 0;
        for (Map.Entry<FlowKey, FlowState> e : flows.entrySet()) {
            FlowState f = e.getValue();
            if (f.tunnel != null && m.physical().equals(f.peer)) {
                rekeying += rekeyIfNeeded(e.getKey(), f, m.generation()) ? 1 : 0;
            }
        }
        if (before != null) {
            getContext().getLog().info("peer {} rotated its master keys (generation {}): re-keying {} tunnel(s) towards it",
                    IpText.of(m.physical()), m.generation(), rekeying);
        }
        return this;
    }

    /** As below, at the key generation the cluster last announced for the tunnel's peer (none known: nothing to do). */
    private void rekeyIfNeeded(FlowKey flow, FlowState f) {
        Long generation = peerKeyGenerations.get(f.peer);
        if (generation != null) {
            rekeyIfNeeded(flow, f, generation);
        }
    }

    /** How long a re-key may take, from resolving the peer to the entry's install, before it is retried. */
    private Duration rekeyBudget() {
        return Session.setupBudget(settings).multipliedBy(2);
    }

    /** Starts re-keying the tunnel of {@code f} if its SPI is of the key its peer retires next; returns whether it did. */
    private boolean rekeyIfNeeded(FlowKey flow, FlowState f, long peerGeneration) {
        if (f.tunnel == null || f.rekeying || !f.tunnel.spiOfRetiringKey(peerGeneration)) {
            return false;
        }
        f.rekeying = true;
        f.rekeyGeneration = peerGeneration;
        long state = f.generation;
        // an answer that never comes (a lost reply, a restarted Dataplane actor) must not stall the tunnel for good
        timers.startSingleTimer(new RekeyTimer(flow), new RekeyTimedOut(flow, state), rekeyBudget());
        // resolve again: the Peer actor last used may have stopped (the directory makes a new one)
        getContext().ask(PeerDirectory.Resolved.class, deps.directory(), Session.setupBudget(settings),
                r -> new PeerDirectory.Resolve(flow.destination(), r), (resolved, failure) -> new RekeyResolved(flow, state, resolved, failure));
        return true;
    }

    /** The re-key's state, if {@code flow} still is the same established tunnel re-keying. */
    private FlowState rekeying(FlowKey flow, long state) {
        FlowState f = flows.get(flow);
        return f != null && f.generation == state && f.rekeying && f.tunnel != null ? f : null;
    }

    private Behavior<Command> onRekeyResolved(RekeyResolved m) {
        FlowState f = rekeying(m.flow(), m.state());
        if (f == null) {
            return this;
        }
        if (m.failure() != null || m.resolved().peer() == null) {
            return rekeyFailed(m.flow(), f, "no gateway is known to serve " + IpText.of(m.flow().destination()));
        }
        // no reverse parameters: the peer's own tunnel towards us re-keys itself when we rotate
        getContext().ask(Peer.TunnelReplies.class, m.resolved().peer(), Session.setupBudget(settings),
                r -> new Peer.RequestTunnels(List.of(new Peer.Wanted(m.flow().source(), m.flow().destination(), null)), r),
                (replies, failure) -> new RekeyAnswered(m.flow(), m.state(), failure == null ? replies.replies().getFirst() : null,
                        failure));
        return this;
    }

    private Behavior<Command> onRekeyAnswered(RekeyAnswered m) {
        FlowState f = rekeying(m.flow(), m.state());
        if (f == null) {
            return this;
        }
        if (m.failure() != null) {
            return rekeyFailed(m.flow(), f, "no answer: " + m.failure().getMessage());
        }
        if (m.reply().failure() != null) {
            io.grpc.Status st = m.reply().failure();
            return rekeyFailed(m.flow(), f, "peer refused: " + st.getCode() + (st.getDescription() == null ? "" : " " + st.getDescription()));
        }
        EncryptEntry entry;
        try {
            entry = WireParams.entry(m.reply().params(), m.flow().source(), m.flow().destination(), f.tunnel.cryptoId(), deps.settings());
        } catch (WireParams.BadParams e) {
            return rekeyFailed(m.flow(), f, "peer sent unusable parameters: " + e.getMessage());
        }
        f.rekeySpi = entry.spi();
        // the same slot, reprogrammed, and the entry replaced: one step of the Dataplane actor
        dataplane.tell(new DataplaneActor.Install(List.of(new DataplaneActor.Slotted(f.tunnel.cryptoId(),
                m.reply().params().getEncryptionKey().toByteArray(), entry)), rekeyInstalled));
        return this;
    }

    private Behavior<Command> onRekeyInstalled(RekeyInstalled m) {
        DataplaneActor.InstallResult installed = m.installed().results().getFirst();
        FlowKey flow = installed.flow();
        FlowState f = flows.get(flow);
        if (f == null || !f.rekeying || f.tunnel == null) {
            return this;
        }
        f.rekeying = false;
        if (installed.failure() != null) {
            // the data plane wiped the slot on the way: the tunnel is gone, its next packet misses
            stats.tunnelFailed();
            getContext().getLog().info("re-keying tunnel {} failed in the data plane ({}): closed", flow,
                    installed.failure().getMessage());
            close(flow, f, false);
            return this;
        }
        f.tunnel = f.tunnel.rekeyed(f.rekeySpi, f.rekeyGeneration);
        timers.cancel(new RekeyTimer(flow));
        stats.tunnelRekeyed();
        getContext().getLog().debug("tunnel {} re-keyed: SPI {} on crypto slot {}", flow, Integer.toHexString(f.rekeySpi),
                f.tunnel.cryptoId());
        // the peer may have rotated again while we were asking
        rekeyIfNeeded(flow, f);
        return this;
    }

    /** The old SPI keeps working until the peer's next rotation: try again a little later. */
    private Behavior<Command> rekeyFailed(FlowKey flow, FlowState f, String reason) {
        stats.rekeyFailed();
        f.rekeying = false;
        getContext().getLog().info("re-keying tunnel {} failed ({}); trying again in {} ms", flow, reason,
                settings.breakerReset().toMillis());
        timers.startSingleTimer(new RekeyTimer(flow), new RetryRekey(flow), settings.breakerReset());
        return this;
    }

    /**
     * Ends the tunnel of {@code flow}: a session still setting it up is told to close (and releases
     * what it holds); an established tunnel is released here.
     */
    private void close(FlowKey flow, FlowState f, boolean peerGone) {
        if (f.session != null) {
            f.session.tell(new Session.Close(flow, peerGone));
            return;
        }
        Tunnel t = f.tunnel;
        Session.release(deps, flow, t.cryptoId(), t.reverseGrant(), t.reverseSent(), peerGone);
        drop(f, HoldDrop.TUNNEL_FAILED);
        flows.remove(flow);
        timers.cancel(new RekeyTimer(flow));
    }

    /** Closes every tunnel {@code which} selects. */
    private int closeWhere(java.util.function.BiPredicate<FlowKey, FlowState> which, boolean peerGone) {
        List<Map.Entry<FlowKey, FlowState>> closing = flows.entrySet().stream().filter(e -> which.test(e.getKey(), e.getValue()))
                .toList();
        closing.forEach(e -> close(e.getKey(), e.getValue(), peerGone));
        return closing.size();
    }

    private Behavior<Command> onHoldExpired(HoldExpired m) {
        for (FlowKey flow : m.flows()) {
            FlowState state = flows.get(flow);
            if (state != null && m.session().equals(state.session)) {
                drop(state, HoldDrop.HOLD_TIMEOUT);
            }
        }
        return this;
    }

    /** Pairs of the session's batch it never reported on (it crashed) are forgotten; their packets counted. */
    private Behavior<Command> onSessionStopped(SessionStopped m) {
        timers.cancel(m.session());
        if (reportedAll.remove(m.session())) {
            return this;
        }
        for (FlowKey flow : m.flows()) {
            FlowState state = flows.get(flow);
            if (state != null && m.session().equals(state.session)) {
                drop(state, HoldDrop.TUNNEL_FAILED);
                flows.remove(flow);
            }
        }
        return this;
    }

    private void drop(FlowState state, HoldDrop why) {
        if (state.held != null) {
            stats.dropped(why, state.held.size());
            totalHeld -= state.held.size();
            state.held = null;
        }
    }

    private void reinject(List<HeldPacket> packets) {
        if (!packets.isEmpty()) {
            stats.delivered(packets.size());
            dataplane.tell(new DataplaneActor.Reinject(packets));
        }
    }
}
