package io.pspgateway.control;

import io.pspgateway.control.GatewayStats.HoldDrop;
import io.pspgateway.dataplane.FlowKey;
import io.pspgateway.dataplane.HeldPacket;
import io.pspgateway.dataplane.HoldReason;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The slow path: receives the miss poller's batches, groups the packets by VIP pair, holds them in
 * bounded per-pair queues (with a global cap) while exactly one {@link Session} sets up each new
 * pair's tunnel — one session per batch, for all the pairs new in it — and re-injects them in
 * arrival order once it is up, or drops and counts them when it fails or the hold times out. It is
 * the parent of every set-up and hands the tunnels they establish to {@link Tunnels}, their owner,
 * which tells it when one is gone; it knows of each pair only whether it is being set up or up.
 * It also sets up the tunnel file's pairs at start ({@code -z}) and tries those that failed again.
 *
 * <p>Supervision: restart. A restart stops the set-ups (each releases what its batch holds as it
 * stops) and has {@link Tunnels} close every tunnel, since the restarted handler no longer knows
 * which pairs are up: nothing leaks, traffic misses again. The packets held at that moment are
 * counted as dropped ({@code HANDLER_RESTART}) before the state goes.
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

    /** The peer {@code from} (a principal's name) sent parameters for our return directions (one request's): install them as tunnels. */
    public record AdoptReverse(String from, List<Session.Adopted> given) implements Command {
    }

    /** These pairs' tunnels are gone (released by {@link Tunnels}): their next packet sets up a new one. */
    public record Forget(List<FlowKey> flows) implements Command {
    }

    private record SetupOutcomes(Session.Outcomes outcomes) implements Command {
    }

    /** The hold time of the packets waiting for {@code session}'s batch of {@code flows} is up. */
    private record HoldExpired(ActorRef<Session.Command> session, List<FlowKey> flows) implements Command {
    }

    private record SetupStopped(ActorRef<Session.Command> session, List<FlowKey> flows) implements Command {
    }

    /**
     * Static tunnels that failed are tried again together, {@code retry-failed-after} after the first
     * failure, then at doubling intervals up to {@link #STATIC_RETRY_MAX} while some keep failing.
     */
    private record RetryStatic() implements Command {
    }

    /** The pairs that failed together ({@code failure}) may be tried again: {@code retry-failed-after} has passed. */
    private record MayRetry(long failure, List<FlowKey> flows) implements Command {
    }

    /** The key of the timer of one {@link MayRetry}. */
    private record FailureTimer(long failure) {
    }

    /** One VIP pair: being set up by {@code session}, or up. */
    private static final class Pair {
        /** Null once up (and, for a moment, before its session is spawned). */
        ActorRef<Session.Command> session;
        boolean up;
        /** The packets waiting for the tunnel, in arrival order; null while there are none (most pairs, once up). */
        List<HeldPacket> held;
    }

    private static final Duration STATIC_RETRY_MAX = Duration.ofMinutes(1);

    private final SessionDeps deps;
    private final ActorRef<Session.Outcomes> outcomes;
    private final ActorRef<Tunnels.Command> tunnels;
    private final GatewayStats stats;
    private final ControlSettings settings;
    private final TimerScheduler<Command> timers;
    private final Map<FlowKey, Pair> pairs = new HashMap<>();
    /** Pairs whose set-up failed moments ago, by failure: their packets are dropped until it may be tried again. */
    private final Map<FlowKey, Long> recentlyFailed = new HashMap<>();
    private long failures;
    /** The pairs of the tunnel file set up at start (-z), and those of them waiting to be tried again. */
    private final Set<FlowKey> staticFlows = new HashSet<>();
    private final Set<FlowKey> staticRetries = new LinkedHashSet<>();
    private Duration staticRetryDelay;
    /** Sessions that reported on every pair of their batch and are stopping: nothing of theirs is left to forget. */
    private final Set<ActorRef<Session.Command>> reportedAll = new HashSet<>();
    private int totalHeld;
    /** Packets of the batch being held that have been dealt with (for the count if holding fails). */
    private int batchTaken;

    private MissHandler(ActorContext<Command> context, TimerScheduler<Command> timers, SessionDeps deps,
                        ActorRef<Tunnels.Command> tunnels) {
        super(context);
        this.timers = timers;
        this.deps = deps;
        this.tunnels = tunnels;
        this.outcomes = context.messageAdapter(Session.Outcomes.class, SetupOutcomes::new);
        this.stats = deps.stats();
        this.settings = deps.settings().control();
        this.staticRetryDelay = settings.retryFailedAfter();
    }

    /** {@code deps}: what its set-ups need; what they establish goes to {@code tunnels}. */
    static Behavior<Command> create(SessionDeps deps, ActorRef<Tunnels.Command> tunnels) {
        return Behaviors.<Command>supervise(deps.decorator().decorate(MissHandler.class, Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
                new MissHandler(ctx, timers, deps, tunnels))))).onFailure(RuntimeException.class, SupervisorStrategy.restart());
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
                .onMessage(SetupOutcomes.class, m -> onOutcomes(m.outcomes()))
                .onMessage(Forget.class, m -> {
                    // a pair being set up again (after a restart of ours) is not the tunnel that went
                    m.flows().forEach(flow -> pairs.computeIfPresent(flow, (f, pair) -> pair.up ? null : pair));
                    return this;
                })
                .onMessage(HoldExpired.class, this::onHoldExpired)
                .onMessage(SetupStopped.class, this::onSetupStopped)
                .onMessage(MayRetry.class, m -> {
                    m.flows().forEach(flow -> recentlyFailed.remove(flow, m.failure()));
                    return this;
                })
                .onSignal(PreRestart.class, signal -> {
                    stats.dropped(HoldDrop.HANDLER_RESTART, totalHeld);
                    tunnels.tell(new Tunnels.CloseAll(getContext().getSelf()));
                    return this;
                })
                .build();
    }

    private Behavior<Command> onMissed(Missed m) {
        List<HeldPacket> now = new ArrayList<>();
        List<FlowKey> fresh = new ArrayList<>();
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
        startSetup(fresh, Session.request(fresh, deps, outcomes, tunnels));
        reinject(now);
        return this;
    }

    /**
     * Holds the misses of {@code packets}, or puts them in {@code now} when their tunnel is up; the
     * VIP pairs with no tunnel nor set-up yet go to {@code fresh}. Counts the packets in {@link #batchTaken}.
     */
    private void hold(List<HeldPacket> packets, List<HeldPacket> now, List<FlowKey> fresh) {
        for (; batchTaken < packets.size(); batchTaken++) {
            HeldPacket p = packets.get(batchTaken);
            if (p.reason() != HoldReason.MISS) {
                getContext().getLog().debug("sampled packet ({}) {}", p.reason(), p.flow());
                continue;
            }
            stats.held(1);
            Pair pair = pairs.get(p.flow());
            if (pair == null) {
                if (!recentlyFailed.isEmpty() && recentlyFailed.containsKey(p.flow())) {
                    stats.dropped(HoldDrop.RECENTLY_FAILED, 1);
                    continue;
                }
                pair = new Pair();
                pairs.put(p.flow(), pair);
                fresh.add(p.flow());
            }
            if (pair.up) {
                // the tunnel came up while this packet was on its way to us
                now.add(p);
            } else if (pair.held != null && pair.held.size() >= settings.holdPerFlow() || totalHeld >= settings.holdTotal()) {
                stats.dropped(HoldDrop.HOLD_QUEUE_FULL, 1);
            } else {
                if (pair.held == null) {
                    pair.held = new ArrayList<>(2);
                }
                pair.held.add(p);
                totalHeld++;
            }
        }
    }

    /** Sets up the pairs of {@code wanted} that have no tunnel nor set-up yet, in one session. */
    private void ensure(List<FlowKey> wanted) {
        List<FlowKey> fresh = new ArrayList<>();
        for (FlowKey flow : wanted) {
            if (pairs.putIfAbsent(flow, new Pair()) == null) {
                fresh.add(flow);
            }
        }
        startSetup(fresh, Session.request(fresh, deps, outcomes, tunnels));
    }

    private Behavior<Command> onAdopt(AdoptReverse m) {
        List<Session.Adopted> adopted = new ArrayList<>();
        List<FlowKey> fresh = new ArrayList<>();
        for (Session.Adopted a : m.given()) {
            // a direction we are already setting up ourselves (both sides asked at once) stays ours,
            // and a pair named twice in one request is adopted once
            if (pairs.putIfAbsent(a.flow(), new Pair()) == null) {
                adopted.add(a);
                fresh.add(a.flow());
            }
        }
        startSetup(fresh, Session.adopt(adopted, m.from(), deps, outcomes, tunnels));
        return this;
    }

    /** Spawns the session that sets up {@code fresh} (new pairs, none set up yet) and starts their hold time. */
    private void startSetup(List<FlowKey> fresh, Behavior<Session.Command> setup) {
        if (fresh.isEmpty()) {
            return;
        }
        ActorRef<Session.Command> session = getContext().spawnAnonymous(deps.decorator().decorate(Session.class, setup));
        getContext().watchWith(session, new SetupStopped(session, fresh));
        fresh.forEach(flow -> pairs.get(flow).session = session);
        timers.startSingleTimer(session, new HoldExpired(session, fresh), settings.holdTimeout());
    }

    private Behavior<Command> onOutcomes(Session.Outcomes outcomes) {
        List<HeldPacket> release = new ArrayList<>();
        List<Tunnel> established = new ArrayList<>();
        List<FlowKey> failed = new ArrayList<>();
        for (Session.Outcome o : outcomes.outcomes()) {
            Pair pair = pairs.get(o.flow());
            if (pair == null || !outcomes.session().equals(pair.session)) {
                continue;
            }
            if (o.up()) {
                pair.session = null;
                pair.up = true;
                established.add(o.tunnel());
                if (pair.held != null) {
                    release.addAll(pair.held);
                    totalHeld -= pair.held.size();
                    pair.held = null;
                }
            } else {
                drop(pair, o.failure());
                pairs.remove(o.flow());
                failed.add(o.flow());
            }
        }
        if (outcomes.last()) {
            reportedAll.add(outcomes.session());
        }
        if (!established.isEmpty()) {
            tunnels.tell(new Tunnels.Established(established, getContext().getSelf()));
        }
        recentlyFailed(failed);
        reinject(release);
        return this;
    }

    /** Drops the packets of {@code failed} for {@code retry-failed-after}; static pairs among them are tried again after the rest. */
    private void recentlyFailed(List<FlowKey> failed) {
        if (failed.isEmpty()) {
            return;
        }
        long failure = ++failures;
        if (!settings.retryFailedAfter().isZero()) {
            failed.forEach(flow -> recentlyFailed.put(flow, failure));
            timers.startSingleTimer(new FailureTimer(failure), new MayRetry(failure, failed), settings.retryFailedAfter());
        }
        for (FlowKey flow : failed) {
            if (staticFlows.contains(flow)) {
                // the original's -z loop: a static tunnel that failed (its peer not up yet, say) is tried again after the rest
                staticRetries.add(flow);
            }
        }
        if (!staticRetries.isEmpty() && !timers.isTimerActive(RetryStatic.class)) {
            timers.startSingleTimer(RetryStatic.class, new RetryStatic(), staticRetryDelay);
        }
    }

    private Behavior<Command> onHoldExpired(HoldExpired m) {
        for (FlowKey flow : m.flows()) {
            Pair pair = pairs.get(flow);
            if (pair != null && m.session().equals(pair.session)) {
                drop(pair, HoldDrop.HOLD_TIMEOUT);
            }
        }
        return this;
    }

    /** Pairs of the session's batch it never reported on (it crashed) are forgotten; their packets counted. */
    private Behavior<Command> onSetupStopped(SetupStopped m) {
        timers.cancel(m.session());
        if (reportedAll.remove(m.session())) {
            return this;
        }
        for (FlowKey flow : m.flows()) {
            Pair pair = pairs.get(flow);
            if (pair != null && m.session().equals(pair.session)) {
                drop(pair, HoldDrop.TUNNEL_FAILED);
                pairs.remove(flow);
            }
        }
        return this;
    }

    private void drop(Pair pair, HoldDrop why) {
        if (pair.held != null) {
            stats.dropped(why, pair.held.size());
            totalHeld -= pair.held.size();
            pair.held = null;
        }
    }

    private void reinject(List<HeldPacket> packets) {
        if (!packets.isEmpty()) {
            stats.delivered(packets.size());
            deps.dataplane().tell(new DataplaneActor.Reinject(packets));
        }
    }
}
