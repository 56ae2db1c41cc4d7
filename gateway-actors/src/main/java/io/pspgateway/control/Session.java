package io.pspgateway.control;

import io.grpc.Status;
import io.pspgateway.control.GatewayStats.HoldDrop;
import io.pspgateway.dataplane.EncryptEntry;
import io.pspgateway.dataplane.FlowKey;
import io.pspgateway.control.SetupBatch.Direction;
import io.pspgateway.dataplane.SpiKey;
import io.pspgateway.proto.doca.TunnelParameters;
import io.pspgateway.psp.IpText;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The set-up of a batch of tunnel directions (local VIP to remote VIP) — the pairs that missed
 * together, or those a peer sent reverse parameters for in one request — or the re-key of a batch
 * of established tunnels. One actor per batch with a state machine per direction inside
 * ({@link SetupBatch}), because the steps are batched: one peer lookup, then per peer one mint of
 * reverse SPIs, one request, one slot allocation and one install for all its directions. (An actor
 * per direction cost more CPU than everything else in a set-up: spawning, watching, stopping it.)
 *
 * <pre>
 *  per direction:
 *  Resolving --peer--> Minting --reverse SPI--> Requesting --params--> Allocating --slot--> Installing --live--> handed over
 *      \_________________\__________________________\______________________\____________________\--> failed: released
 * </pre>
 *
 * Adopted directions start at Allocating. A re-key ({@link #rekey}) skips Minting and Allocating:
 * it asks for a fresh SPI and reprograms the tunnel's own slot and entry in one install
 * (make-before-break: no second slot, no gap but the packets in flight). Directions towards one
 * peer move together; one that fails leaves its group without holding up the rest. Each live one
 * is reported to the parent ({@link MissHandler}, or {@link Tunnels} for a re-key) as a
 * {@link Tunnel} — a new one's slot moves to {@link Tunnels} in the pool first — and the session
 * stops once none is left in set-up: an established tunnel costs a record, not an actor.
 *
 * <p>A direction in set-up holds its crypto slot, its entry and the ACL of its reverse SPI (a grant
 * of {@link IngressGrants}), given back when it fails and in PostStop, however the session stops;
 * the pool also watches the session and wipes a crashed one's slots. A tunnel being re-keyed is the
 * session's the same way: a failed re-key hands it back unchanged (the old SPI works until the
 * peer's next rotation), but one whose install failed, one its owner closes ({@link StopRekey}) and
 * one in hand when the session stops are released here, after the session's own install.
 */
public final class Session extends AbstractBehavior<Session.Command> {

    public sealed interface Command {
    }

    /** Stop re-keying {@code flow} and release it: its owner, {@link Tunnels}, is closing it ({@code peerGone}: as its peer left). */
    public record StopRekey(FlowKey flow, boolean peerGone) implements Command {
    }

    /** Parameters a peer sent for our direction {@code flow} as reverse_params. */
    public record Adopted(FlowKey flow, TunnelParameters params) {
    }

    private record PeersResolved(PeerDirectory.ResolvedAll resolved, Throwable failure) implements Command {
    }

    private record ReverseMinted(Group group, DataplaneActor.Minted minted, Throwable failure) implements Command {
    }

    private record Answered(Group group, Peer.TunnelReplies replies, Throwable failure) implements Command {
    }

    private record SlotsGranted(Group group, CryptoSlotPool.Granted granted, Throwable failure) implements Command {
    }

    private record EntriesInstalled(Group group, DataplaneActor.Installed installed, Throwable failure) implements Command {
    }

    private record SetupTimedOut() implements Command {
    }

    /**
     * How one direction's set-up or re-key ended: {@code failure} null when it succeeded;
     * {@code tunnel} the tunnel as it stands now (new, re-keyed, or unchanged after a failed re-key),
     * null when there is none (the set-up failed, or the re-keyed tunnel was lost and released).
     */
    public record Outcome(FlowKey flow, HoldDrop failure, String reason, Tunnel tunnel) {
        boolean up() {
            return failure == null;
        }
    }

    /** The outcomes a step of {@code session} produced, reported together; {@code last}: none is left in set-up. */
    public record Outcomes(ActorRef<Command> session, List<Outcome> outcomes, boolean last) {
    }

    /** Directions towards one peer ({@code null} for adopted ones) that take the next step together. */
    private record Group(ActorRef<Peer.Command> peer, List<Direction> members) {
    }

    private final SessionDeps deps;
    /** Where the outcomes go: the parent. */
    private final ActorRef<Outcomes> reportTo;
    /** The owner of established tunnels, to whom new tunnels' slots move. */
    private final ActorRef<Tunnels.Command> tunnels;
    private final boolean rekey;
    /** The peer whose reverse_params this session adopts (its slots count against that peer's share); null otherwise. */
    private final String adoptedFrom;
    private final Duration budget;
    private final SetupBatch batch;

    private Session(ActorContext<Command> context, SessionDeps deps, ActorRef<Outcomes> reportTo, ActorRef<Tunnels.Command> tunnels,
                    List<Direction> batch, boolean rekey, String adoptedFrom) {
        super(context);
        this.deps = deps;
        this.reportTo = reportTo;
        this.tunnels = tunnels;
        this.rekey = rekey;
        this.adoptedFrom = adoptedFrom;
        this.budget = deps.settings().control().setupBudget();
        this.batch = new SetupBatch(batch, rekey, deps);
    }

    /**
     * A set-up that asks the peers serving the remote VIPs of {@code flows} for parameters,
     * reporting to {@code reportTo}; the slots of the tunnels it establishes go to {@code tunnels}.
     */
    static Behavior<Command> request(List<FlowKey> flows, SessionDeps deps, ActorRef<Outcomes> reportTo, ActorRef<Tunnels.Command> tunnels) {
        return start(deps, reportTo, tunnels, flows.stream().map(f -> new Direction(f, null)).toList(), false, null);
    }

    /** A set-up of what the peer {@code from} (a principal's name, never null) sent as reverse_params: it starts at Allocating. */
    static Behavior<Command> adopt(List<Adopted> given, String from, SessionDeps deps, ActorRef<Outcomes> reportTo,
                                   ActorRef<Tunnels.Command> tunnels) {
        return start(deps, reportTo, tunnels, given.stream().map(a -> new Direction(a.flow(), a.params())).toList(), false, from);
    }

    /**
     * A re-key of established tunnels, asked for by their owner {@code tunnels}: asks each one's peer
     * for a fresh SPI and reprograms the tunnel's own slot and entry with it.
     */
    static Behavior<Command> rekey(List<Tunnel> established, SessionDeps deps, ActorRef<Outcomes> reportTo, ActorRef<Tunnels.Command> tunnels) {
        return start(deps, reportTo, tunnels, established.stream().map(Direction::new).toList(), true, null);
    }

    private static Behavior<Command> start(SessionDeps deps, ActorRef<Outcomes> reportTo, ActorRef<Tunnels.Command> tunnels,
                                           List<Direction> batch, boolean rekey, String adoptedFrom) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            Session s = new Session(ctx, deps, reportTo, tunnels, batch, rekey, adoptedFrom);
            timers.startSingleTimer(new SetupTimedOut(), s.budget);
            if (adoptedFrom != null) {
                s.allocate(new Group(null, batch));
            } else {
                s.resolve();
            }
            return s;
        }));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(PeersResolved.class, this::onPeersResolved)
                .onMessage(ReverseMinted.class, this::onReverseMinted)
                .onMessage(Answered.class, this::onAnswered)
                .onMessage(SlotsGranted.class, this::onSlots)
                .onMessage(EntriesInstalled.class, this::onInstalled)
                .onMessage(SetupTimedOut.class, m -> {
                    batch.all().forEach(d -> batch.fail(d, HoldDrop.TUNNEL_FAILED, "timed out"));
                    return report();
                })
                .onMessage(StopRekey.class, m -> {
                    Direction d = batch.get(m.flow());
                    if (d != null) {
                        batch.lose(d, HoldDrop.TUNNEL_FAILED, "closed while re-keying", m.peerGone());
                    }
                    return report();
                })
                .onSignal(PostStop.class, s -> {
                    // a re-key too: the tunnel was handed to this session, and its owner may be gone (a restart)
                    batch.all().forEach(d -> batch.lose(d, HoldDrop.TUNNEL_FAILED, "session stopped", false));
                    report();
                    return this;
                })
                .build();
    }

    private void resolve() {
        List<java.net.InetAddress> destinations = batch.all().stream().map(d -> d.destination).toList();
        getContext().ask(PeerDirectory.ResolvedAll.class, deps.directory(), budget,
                r -> new PeerDirectory.ResolveAll(destinations, r), PeersResolved::new);
    }

    private Behavior<Command> onPeersResolved(PeersResolved m) {
        if (m.failure() != null) {
            batch.all().forEach(d -> batch.fail(d, HoldDrop.TUNNEL_FAILED, "the peer directory did not answer"));
            return report();
        }
        // one answer per destination, in the batch's order
        List<PeerDirectory.Resolved> resolved = m.resolved().resolved();
        Map<ActorRef<Peer.Command>, List<Direction>> byPeer = new LinkedHashMap<>();
        for (int i = 0; i < batch.all().size(); i++) {
            Direction d = batch.all().get(i);
            ActorRef<Peer.Command> peer = resolved.get(i).peer();
            if (d.done) {
                continue;
            }
            if (peer == null) {
                batch.fail(d, HoldDrop.NO_PEER, "no gateway is known to serve " + IpText.of(d.destination));
            } else {
                byPeer.computeIfAbsent(peer, p -> new ArrayList<>()).add(d);
            }
        }
        byPeer.forEach((peer, members) -> {
            Group group = new Group(peer, members);
            if (deps.settings().control().sendReverseParams() && !rekey) {
                mintReverse(group);
            } else {
                askPeer(group, null);
            }
        });
        return report();
    }

    private void mintReverse(Group group) {
        List<DataplaneActor.AclPair> pairs = group.members().stream()
                .map(d -> new DataplaneActor.AclPair(d.destination, d.source)).toList();
        getContext().ask(DataplaneActor.Minted.class, deps.grants(), budget,
                r -> new IngressGrants.Open(null, pairs, deps.settings().pspVersion(), r),
                (minted, failure) -> new ReverseMinted(group, minted, failure));
    }

    private Behavior<Command> onReverseMinted(ReverseMinted m) {
        Group group = m.group();
        Throwable failure = m.failure() != null ? m.failure() : m.minted().failure();
        if (failure != null) {
            // no reverse parameters: the peer will ask us itself when it has traffic for us
            getContext().getLog().info("{} tunnel(s) to {}: no reverse parameters ({})", group.members().size(),
                    IpText.of(group.members().getFirst().destination), failure.getMessage());
            askPeer(group, null);
            return report();
        }
        List<TunnelParameters> reverse = new ArrayList<>(group.members().size());
        for (int i = 0; i < group.members().size(); i++) {
            Direction d = group.members().get(i);
            SpiKey minted = m.minted().keys().get(i);
            d.reverseGrant = new IngressGrants.Grant(minted.spi(), d.destination, d.source);
            reverse.add(d.done ? null : WireParams.of(minted, deps.settings()));
            minted.destroy();
            if (d.done) {
                // closed while the SPI was minted: its ACL goes at once, never having been sent
                deps.grants().tell(new IngressGrants.Revoke(d.reverseGrant));
            }
        }
        askPeer(group, reverse);
        return report();
    }

    /** Asks the group's peer for the parameters of its live directions; {@code reverse} null, or one per member. */
    private void askPeer(Group group, List<TunnelParameters> reverse) {
        // a re-key sends no reverse parameters: the peer's own tunnel towards us re-keys itself when we rotate
        List<Direction> asked = new ArrayList<>();
        List<Peer.Wanted> wanted = new ArrayList<>();
        for (int i = 0; i < group.members().size(); i++) {
            Direction d = group.members().get(i);
            if (d.done) {
                continue;
            }
            TunnelParameters r = reverse == null ? null : reverse.get(i);
            d.reverseSent |= r != null;
            asked.add(d);
            wanted.add(new Peer.Wanted(d.source, d.destination, r));
        }
        if (asked.isEmpty()) {
            return;
        }
        Group askedGroup = new Group(group.peer(), asked);
        getContext().ask(Peer.TunnelReplies.class, group.peer(), budget, r -> new Peer.RequestTunnels(wanted, r),
                (replies, failure) -> new Answered(askedGroup, replies, failure));
    }

    private Behavior<Command> onAnswered(Answered m) {
        List<Direction> members = m.group().members();
        for (int i = 0; i < members.size(); i++) {
            Direction d = members.get(i);
            if (m.failure() != null) {
                batch.fail(d, HoldDrop.TUNNEL_FAILED, "no answer from the peer within " + budget.toMillis() + " ms");
                continue;
            }
            Peer.TunnelReply reply = m.replies().replies().get(i);
            if (reply.failure() != null) {
                Status s = reply.failure();
                HoldDrop why = s.getCode() == Status.Code.RESOURCE_EXHAUSTED ? HoldDrop.NO_CRYPTO_SLOT : HoldDrop.TUNNEL_FAILED;
                batch.fail(d, why, "peer refused: " + s.getCode() + (s.getDescription() == null ? "" : " " + s.getDescription()));
            } else if (!d.done) {
                d.params = reply.params();
            }
        }
        if (rekey) {
            install(m.group().peer(), members);
        } else {
            allocate(m.group());
        }
        return report();
    }

    private void allocate(Group group) {
        Group live = new Group(group.peer(), group.members().stream().filter(d -> !d.done).toList());
        if (!live.members().isEmpty()) {
            getContext().ask(CryptoSlotPool.Granted.class, deps.slots(), budget,
                    r -> new CryptoSlotPool.Allocate(getContext().getSelf(), live.members().size(), adoptedFrom, r),
                    (granted, failure) -> new SlotsGranted(live, granted, failure));
        }
    }

    private Behavior<Command> onSlots(SlotsGranted m) {
        List<Direction> members = m.group().members();
        List<Integer> ids = m.failure() == null ? m.granted().cryptoIds() : List.of();
        for (int i = 0; i < members.size(); i++) {
            Direction d = members.get(i);
            if (i >= ids.size()) {
                batch.fail(d, HoldDrop.NO_CRYPTO_SLOT, m.failure() == null ? m.granted().shortBecause()
                        : "the crypto slot pool did not answer");
            } else if (d.done) {
                // closed while the slot was on its way: never programmed, straight back
                deps.slots().tell(new CryptoSlotPool.Release(ids.get(i)));
            } else {
                d.cryptoId = ids.get(i);
            }
        }
        install(m.group().peer(), members);
        return report();
    }

    /** Programs the slot and adds the entry of each live direction of {@code members}, in one step of the Dataplane actor. */
    private void install(ActorRef<Peer.Command> peer, List<Direction> members) {
        List<Direction> installing = new ArrayList<>(members.size());
        List<DataplaneActor.Slotted> entries = new ArrayList<>(members.size());
        for (Direction d : members) {
            if (d.done) {
                continue;
            }
            EncryptEntry entry;
            try {
                entry = WireParams.entry(d.params, d.source, d.destination, d.cryptoId, deps.settings());
            } catch (WireParams.BadParams e) {
                batch.fail(d, HoldDrop.TUNNEL_FAILED, "peer sent unusable parameters: " + e.getMessage());
                continue;
            }
            d.peerPhysical = entry.peerOuter();
            installing.add(d);
            // the Dataplane actor zeroes this copy once the slot has it
            entries.add(new DataplaneActor.Slotted(d.cryptoId, d.params.getEncryptionKey().toByteArray(), entry));
        }
        if (!installing.isEmpty()) {
            Group group = new Group(peer, installing);
            getContext().ask(DataplaneActor.Installed.class, deps.dataplane(), budget, r -> new DataplaneActor.Install(entries, r),
                    (installed, failure) -> new EntriesInstalled(group, installed, failure));
        }
    }

    private Behavior<Command> onInstalled(EntriesInstalled m) {
        List<Direction> members = m.group().members();
        List<Integer> handed = new ArrayList<>(members.size());
        List<Direction> up = new ArrayList<>(members.size());
        for (int i = 0; i < members.size(); i++) {
            Direction d = members.get(i);
            Exception refused = m.failure() != null ? null : m.installed().results().get(i).failure();
            if (m.failure() != null || refused != null) {
                // the slot was wiped, or holds a key nobody knows: nothing of the tunnel can be trusted any more
                batch.lose(d, HoldDrop.TUNNEL_FAILED, refused == null ? "the data plane did not answer the install"
                        : "data plane refused the entry: " + refused.getMessage(), false);
            } else if (!d.done) {
                if (!rekey) {
                    handed.add(d.cryptoId);
                }
                up.add(d);
            }
        }
        if (!handed.isEmpty()) {
            // the slots go to their owner before it hears of the tunnels, so the pool never takes our stopping for a crash
            deps.slots().tell(new CryptoSlotPool.Transfer(handed, tunnels));
        }
        up.forEach(batch::up);
        getContext().getLog().debug("{} tunnel(s) {}", up.size(), rekey ? "re-keyed" : "up");
        return report();
    }

    /** Tells the parent what this step ended, logs its failures (one line per reason); stops when nothing is left in set-up. */
    private Behavior<Command> report() {
        batch.logFailures(getContext().getLog());
        List<Outcome> step = batch.takeOutcomes();
        if (!step.isEmpty()) {
            reportTo.tell(new Outcomes(getContext().getSelf(), step, batch.finished()));
        }
        return batch.finished() ? Behaviors.stopped() : this;
    }
}
