package io.pspgateway.control;

import io.pspgateway.dataplane.FlowKey;
import io.pspgateway.psp.IpText;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiPredicate;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The owner of every established tunnel (a direction from a local VIP to a remote one whose entry is
 * live) and of its crypto slot: set-ups hand their tunnels over through the {@link MissHandler};
 * this actor closes them when their peer leaves or their remote VIP moves to another gateway,
 * decides when one must be re-keyed, and answers every question about them.
 *
 * <p>Re-keying, make-before-break: when a peer rotates its master keys, every tunnel whose SPI is
 * of the key the peer retires next is re-keyed by one {@link Session} in re-key mode (one per
 * rotation: its Peer actor coalesces the requests into a few calls). A re-key that fails is retried
 * every {@code pspgw.grpc.breaker-reset} while the old SPI keeps working until the peer's next
 * rotation.
 *
 * <p>Who writes a tunnel's entry: its set-up session, then, one at a time, its re-key sessions —
 * while one works on it the tunnel is the session's to release (it is told to, {@link
 * Session.StopRekey}, when the tunnel closes, and releases it if it stops), so no install can land
 * after a release — and otherwise this actor. The miss handler is told to forget a pair only once
 * its tunnel is released, so no new set-up of the same pair can race the release.
 *
 * <p>Supervision: restart. A restart (or stop) releases every tunnel (those being re-keyed, by
 * their sessions as they stop with it): nothing leaks, traffic misses again and sets up anew.
 */
public final class Tunnels extends AbstractBehavior<Tunnels.Command> {

    public sealed interface Command {
    }

    /**
     * Tunnels just set up (their crypto slots already belong to this actor in the pool);
     * {@code goneTo}: the miss handler, told of each pair whose tunnel is gone.
     */
    public record Established(List<Tunnel> tunnels, ActorRef<MissHandler.Command> goneTo) implements Command {
    }

    /** The gateway at {@code physical} left: every tunnel towards it is closed. */
    public record PeerGone(InetAddress physical) implements Command {
    }

    /**
     * Who serves which VIP in the cluster now (the physical address, or null when the cluster does
     * not say): a tunnel whose remote VIP moved to another gateway is closed, so its next packet
     * misses and tunnels to the new one.
     */
    public record Owners(Function<InetAddress, InetAddress> ownerOf) implements Command {
    }

    /**
     * The gateway at {@code physical} is at master-key {@code generation} (first seen, or rotated):
     * its tunnels whose SPI is of the key it retires next are re-keyed.
     */
    public record PeerKeys(InetAddress physical, long generation) implements Command {
    }

    /**
     * The gateway {@code peer} says (through the project's {@code GatewayKeys} call) it rotated its
     * master keys to {@code generation}: the tunnels to the VIPs it serves ({@code servesVip}) whose
     * SPI is of the key it retires next are re-keyed. What the cluster's {@link PeerKeys} does for
     * members, for gateways of the tunnel file.
     */
    public record PeerRotated(String peer, java.util.function.Predicate<InetAddress> servesVip, long generation) implements Command {
    }

    /** Release every tunnel: the miss handler {@code goneTo} restarted and no longer knows which pairs are up. */
    public record CloseAll(ActorRef<MissHandler.Command> goneTo) implements Command {
    }

    /** The VIP pairs whose tunnel is established. */
    public record GetTunnels(ActorRef<List<FlowKey>> replyTo) implements Command {
    }

    private record Rekeyed(Session.Outcomes outcomes) implements Command {
    }

    /** Re-keys that failed are tried again together. */
    private record RetryRekeys() implements Command {
    }

    /** One established tunnel and its re-key, if one is under way. */
    private static final class Held {
        Tunnel tunnel;
        /** The session re-keying it, null when none is. */
        ActorRef<Session.Command> rekeyedBy;
        /** The peer's key generation the re-key under way was started at. */
        long rekeyGeneration;
        /** Closed while being re-keyed: the session releases it, or hands it back to be released. */
        boolean closing;
        boolean closingPeerGone;

        Held(Tunnel tunnel) {
            this.tunnel = tunnel;
        }
    }

    private final SessionDeps deps;
    private final ActorRef<Session.Outcomes> rekeyed;
    /** Who is told of pairs whose tunnel is gone: the miss handler that handed them over. */
    private ActorRef<MissHandler.Command> goneTo;
    private final TimerScheduler<Command> timers;
    private final Map<FlowKey, Held> tunnels = new HashMap<>();
    /** Each peer's master-key generation, as the cluster last announced it. */
    private final Map<InetAddress, Long> peerGenerations = new HashMap<>();
    private final Set<FlowKey> rekeyRetries = new LinkedHashSet<>();

    private Tunnels(ActorContext<Command> context, TimerScheduler<Command> timers, SessionDeps deps) {
        super(context);
        this.timers = timers;
        this.deps = deps;
        this.rekeyed = context.messageAdapter(Session.Outcomes.class, Rekeyed::new);
        this.goneTo = context.getSystem().ignoreRef();
    }

    /** {@code deps}: what its re-key sessions need. */
    static Behavior<Command> create(SessionDeps deps) {
        return Behaviors.<Command>supervise(deps.decorator().decorate(Tunnels.class, Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
                new Tunnels(ctx, timers, deps))))).onFailure(RuntimeException.class, SupervisorStrategy.restart());
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Established.class, this::onEstablished)
                .onMessage(PeerGone.class, m -> {
                    peerGenerations.remove(m.physical());
                    int closed = closeWhere((flow, t) -> m.physical().equals(t.peerPhysical()), true);
                    getContext().getLog().info("peer {} is gone: closing {} tunnel(s) towards it", IpText.of(m.physical()), closed);
                    return this;
                })
                .onMessage(Owners.class, m -> {
                    closeWhere((flow, t) -> {
                        InetAddress owner = m.ownerOf().apply(flow.destination());
                        boolean moved = owner != null && !owner.equals(t.peerPhysical());
                        if (moved) {
                            getContext().getLog().info("{} moved from {} to {}: re-tunnelling", IpText.of(flow.destination()),
                                    IpText.of(t.peerPhysical()), IpText.of(owner));
                        }
                        return moved;
                    }, false);
                    return this;
                })
                .onMessage(PeerKeys.class, this::onPeerKeys)
                .onMessage(PeerRotated.class, this::onPeerRotated)
                .onMessage(Rekeyed.class, m -> onRekeyed(m.outcomes()))
                .onMessage(RetryRekeys.class, m -> {
                    List<Tunnel> due = new ArrayList<>();
                    rekeyRetries.forEach(flow -> {
                        Held h = tunnels.get(flow);
                        if (h != null && needsRekey(h, peerGenerations.get(h.tunnel.peerPhysical()))) {
                            due.add(h.tunnel);
                        }
                    });
                    rekeyRetries.clear();
                    rekey(due);
                    return this;
                })
                .onMessage(CloseAll.class, m -> {
                    goneTo = m.goneTo();
                    closeWhere((flow, t) -> true, false);
                    return this;
                })
                .onMessage(GetTunnels.class, m -> {
                    m.replyTo().tell(List.copyOf(tunnels.keySet()));
                    return this;
                })
                .onSignal(PreRestart.class, s -> {
                    releaseAll();
                    return this;
                })
                .onSignal(PostStop.class, s -> {
                    releaseAll();
                    return this;
                })
                .build();
    }

    private Behavior<Command> onEstablished(Established m) {
        goneTo = m.goneTo();
        // taken first, all of them: their slots are this actor's already, and only what it holds is released on a restart
        List<Held> taken = new ArrayList<>(m.tunnels().size());
        for (Tunnel t : m.tunnels()) {
            Long known = peerGenerations.get(t.peerPhysical());
            // the SPI was asked for under the generation known now or, if the peer rotated while we
            // asked, the one before: the lower bound that lets spiOfRetiringKey see it age
            Held h = new Held(known == null ? t : t.rekeyed(t.spi(), Math.max(known - 1, 0)));
            Held before = tunnels.put(t.flow(), h);
            taken.add(h);
            if (before != null) {
                // one set-up per pair at a time is the miss handler's rule; should it ever break, the
                // newer entry is the live one and the older tunnel's slot must not leak
                getContext().getLog().warn("tunnel {} set up twice: the older one's crypto slot {} is released", t.flow(),
                        before.tunnel.cryptoId());
                deps.dataplane().tell(new DataplaneActor.WipeSlot(before.tunnel.cryptoId()));
                deps.slots().tell(new CryptoSlotPool.Release(before.tunnel.cryptoId()));
            }
        }
        // the peer may have rotated while we were asking
        rekey(taken.stream().filter(h -> needsRekey(h, peerGenerations.get(h.tunnel.peerPhysical()))).map(h -> h.tunnel).toList());
        return this;
    }

    private Behavior<Command> onPeerKeys(PeerKeys m) {
        Long before = peerGenerations.put(m.physical(), m.generation());
        if (before != null && before >= m.generation()) {
            return this;
        }
        List<Tunnel> due = new ArrayList<>();
        for (Held h : tunnels.values()) {
            if (m.physical().equals(h.tunnel.peerPhysical()) && needsRekey(h, m.generation())) {
                due.add(h.tunnel);
            }
        }
        if (before != null) {
            getContext().getLog().info("peer {} rotated its master keys (generation {}): re-keying {} tunnel(s) towards it",
                    IpText.of(m.physical()), m.generation(), due.size());
        }
        rekey(due);
        return this;
    }

    private Behavior<Command> onPeerRotated(PeerRotated m) {
        List<Tunnel> due = new ArrayList<>();
        for (Map.Entry<FlowKey, Held> e : tunnels.entrySet()) {
            Held h = e.getValue();
            if (m.servesVip().test(e.getKey().destination())) {
                // what later set-ups towards it are stamped with
                peerGenerations.merge(h.tunnel.peerPhysical(), m.generation(), Math::max);
                if (needsRekey(h, m.generation())) {
                    due.add(h.tunnel);
                }
            }
        }
        getContext().getLog().info("peer {} rotated its master keys (generation {}): re-keying {} tunnel(s) towards it", m.peer(),
                m.generation(), due.size());
        rekey(due);
        return this;
    }

    /** Whether {@code h}'s SPI is of the key its peer, at {@code generation} (null: not known), retires next, and no re-key is under way. */
    private static boolean needsRekey(Held h, Long generation) {
        return generation != null && h.rekeyedBy == null && !h.closing && h.tunnel.spiOfRetiringKey(generation);
    }

    /** Re-keys {@code due} in one session. */
    private void rekey(List<Tunnel> due) {
        if (due.isEmpty()) {
            return;
        }
        ActorRef<Session.Command> session = getContext().spawnAnonymous(
                deps.decorator().decorate(Session.class, Session.rekey(due, deps, rekeyed, getContext().getSelf())));
        for (Tunnel t : due) {
            Held h = tunnels.get(t.flow());
            h.rekeyedBy = session;
            h.rekeyGeneration = peerGenerations.get(t.peerPhysical());
        }
    }

    private Behavior<Command> onRekeyed(Session.Outcomes outcomes) {
        for (Session.Outcome o : outcomes.outcomes()) {
            Held h = tunnels.get(o.flow());
            if (h == null || !outcomes.session().equals(h.rekeyedBy)) {
                continue;
            }
            h.rekeyedBy = null;
            if (o.tunnel() == null) {
                // the session released it (closed, or its slot was wiped on the way): its next packet misses
                if (!h.closing) {
                    getContext().getLog().info("re-keying tunnel {} failed ({}): closed", o.flow(), o.reason());
                }
                forget(o.flow());
                continue;
            }
            h.tunnel = o.up() ? o.tunnel().rekeyed(o.tunnel().spi(), h.rekeyGeneration) : o.tunnel();
            if (o.up()) {
                getContext().getLog().debug("tunnel {} re-keyed: SPI {} on crypto slot {}", o.flow(), Integer.toHexString(h.tunnel.spi()),
                        h.tunnel.cryptoId());
            }
            if (h.closing) {
                release(o.flow(), h, h.closingPeerGone);
            } else if (!o.up()) {
                scheduleRetry(o.flow());
            } else if (needsRekey(h, peerGenerations.get(h.tunnel.peerPhysical()))) {
                // the peer rotated again while we were asking
                rekey(List.of(h.tunnel));
            }
        }
        return this;
    }

    /** The old SPI keeps working until the peer's next rotation: try again a little later. */
    private void scheduleRetry(FlowKey flow) {
        rekeyRetries.add(flow);
        if (!timers.isTimerActive(RetryRekeys.class)) {
            getContext().getLog().info("re-keys failed; trying again in {} ms", deps.settings().control().breakerReset().toMillis());
            timers.startSingleTimer(RetryRekeys.class, new RetryRekeys(), deps.settings().control().breakerReset());
        }
    }

    /** Closes every tunnel {@code which} selects; returns how many. */
    private int closeWhere(BiPredicate<FlowKey, Tunnel> which, boolean peerGone) {
        List<Map.Entry<FlowKey, Held>> closing = tunnels.entrySet().stream()
                .filter(e -> !e.getValue().closing && which.test(e.getKey(), e.getValue().tunnel)).toList();
        for (Map.Entry<FlowKey, Held> e : closing) {
            Held h = e.getValue();
            if (h.rekeyedBy != null) {
                h.closing = true;
                h.closingPeerGone = peerGone;
                h.rekeyedBy.tell(new Session.StopRekey(e.getKey(), peerGone));
            } else {
                release(e.getKey(), h, peerGone);
            }
        }
        return closing.size();
    }

    private void release(FlowKey flow, Held h, boolean peerGone) {
        Tunnel t = h.tunnel;
        deps.release(flow, t.cryptoId(), t.reverseGrant(), t.reverseSent(), peerGone);
        forget(flow);
    }

    private void forget(FlowKey flow) {
        tunnels.remove(flow);
        rekeyRetries.remove(flow);
        goneTo.tell(new MissHandler.Forget(List.of(flow)));
    }

    /**
     * Before a restart or stop, which would forget them: every tunnel is released — those being
     * re-keyed by their sessions, children that stop too — and its pair forgotten by the miss handler.
     */
    private void releaseAll() {
        List<FlowKey> all = List.copyOf(tunnels.keySet());
        for (FlowKey flow : all) {
            Held h = tunnels.get(flow);
            if (h.rekeyedBy == null) {
                deps.release(flow, h.tunnel.cryptoId(), h.tunnel.reverseGrant(), h.tunnel.reverseSent(), false);
            }
        }
        tunnels.clear();
        rekeyRetries.clear();
        if (!all.isEmpty()) {
            goneTo.tell(new MissHandler.Forget(all));
        }
    }
}
