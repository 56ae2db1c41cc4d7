package io.pspgateway.control;

import io.grpc.Status;
import io.pspgateway.control.GatewayStats.HoldDrop;
import io.pspgateway.dataplane.EncryptEntry;
import io.pspgateway.dataplane.FlowKey;
import io.pspgateway.dataplane.SpiKey;
import io.pspgateway.proto.doca.TunnelParameters;
import io.pspgateway.psp.IpText;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
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
 * The set-up of a batch of tunnel directions, each from a local VIP to a remote VIP: the pairs
 * that missed together (one batch of the miss poller), or those a peer sent reverse parameters for
 * in one request. One actor per batch with a small state machine per direction inside, because
 * the steps are batched: one peer lookup for the batch, then per peer one mint of reverse SPIs, one
 * request, one slot allocation and one install for all its directions. (An actor per direction
 * cost more CPU than everything else in a set-up together: spawning, watching and stopping it.)
 *
 * <pre>
 *  per direction:
 *  Resolving --peer--> Minting --reverse SPI--> Requesting --params--> Allocating --slot--> Installing --live--> handed over
 *      \_________________\__________________________\______________________\____________________\--> failed: released
 * </pre>
 *
 * Directions adopted from a peer's reverse_params start at Allocating. The directions towards one
 * peer move together; one that fails (or is closed) leaves its group without holding up the rest.
 * Each direction whose entry is live is handed to the parent, the MissHandler, as a {@link Tunnel}
 * — its crypto slot moves to the parent in the pool first — and the session stops once no
 * direction is left in set-up: an established tunnel costs a record, not an actor.
 *
 * <p>What a direction holds until it is handed over — its crypto slot, its encrypt entry, the ACL
 * of the reverse SPI it minted for the peer (a grant of {@link IngressGrants}) — is given back when
 * it fails, when it is closed, and in PostStop for every direction still in set-up, however the
 * session stops. The pool watches the session too: a crash gets its slots wiped.
 */
public final class Session extends AbstractBehavior<Session.Command> {

    public sealed interface Command {
    }

    /**
     * Stop setting up {@code flow} and release what it holds (the VIP moved, the peer left, the operator asked).
     *
     * @param peerGone the peer left the cluster: nothing it was handed can be used any more
     */
    public record Close(FlowKey flow, boolean peerGone) implements Command {
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

    /** How one direction's set-up ended: the tunnel handed over, or why it failed. */
    public record Outcome(FlowKey flow, HoldDrop failure, String reason, Tunnel tunnel) {
        boolean up() {
            return failure == null;
        }
    }

    /** The outcomes a step of {@code session} produced, reported together; {@code last}: none is left in set-up. */
    public record Outcomes(ActorRef<Command> session, List<Outcome> outcomes, boolean last) {
    }

    /**
     * What every session needs from the gateway; {@code owner} is who established tunnels (and
     * their crypto slots) are handed to.
     */
    record Deps(ActorRef<PeerDirectory.Command> directory, ActorRef<CryptoSlotPool.Command> slots,
                ActorRef<DataplaneActor.Command> dataplane, ActorRef<Outcomes> outcomes, GatewaySettings settings,
                GatewayStats stats, ActorDecorator decorator, ActorRef<IngressGrants.Command> grants, ActorRef<?> owner) {
    }

    /** One direction in set-up; {@code done} once it is handed over or failed (and released). */
    private static final class Direction {
        final FlowKey flow;
        /** The flow's VIPs, made once ({@link FlowKey} makes new ones on every call). */
        final java.net.InetAddress source;
        final java.net.InetAddress destination;
        TunnelParameters params;
        int cryptoId = -1;
        /** The ACL of the reverse SPI minted for the peer, if any. */
        IngressGrants.Grant reverseGrant;
        /** Whether the reverse parameters went out to the peer, which may then send with them. */
        boolean reverseSent;
        java.net.InetAddress peerPhysical;
        boolean done;

        Direction(FlowKey flow, TunnelParameters params) {
            this.flow = flow;
            this.source = flow.source();
            this.destination = flow.destination();
            this.params = params;
        }
    }

    /** Directions towards one peer ({@code null} for adopted ones) that take the next step together. */
    private record Group(ActorRef<Peer.Command> peer, List<Direction> members) {
        List<Direction> live() {
            return members.stream().filter(d -> !d.done).toList();
        }
    }

    private final Deps deps;
    private final Duration budget;
    /** The directions in the order they came. */
    private final List<Direction> batch;
    private final Map<FlowKey, Direction> directions = new HashMap<>();
    private int inSetup;
    private List<Outcome> outcomes = new ArrayList<>();
    /** Failures of the current step by reason, for one log line each. */
    private final Map<String, List<FlowKey>> failures = new LinkedHashMap<>();

    private Session(ActorContext<Command> context, Deps deps, List<Direction> batch) {
        super(context);
        this.deps = deps;
        this.budget = setupBudget(deps.settings().control());
        this.batch = batch;
        batch.forEach(d -> directions.put(d.flow, d));
        this.inSetup = batch.size();
    }

    /** A session that asks the peers serving the remote VIPs of {@code flows} for parameters. */
    static Behavior<Command> request(List<FlowKey> flows, Deps deps) {
        return start(deps, flows.stream().map(f -> new Direction(f, null)).toList(), false);
    }

    /** A session whose parameters peers already sent as reverse_params. */
    static Behavior<Command> adopt(List<Adopted> given, Deps deps) {
        return start(deps, given.stream().map(a -> new Direction(a.flow(), a.params())).toList(), true);
    }

    private static Behavior<Command> start(Deps deps, List<Direction> batch, boolean adopted) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            Session s = new Session(ctx, deps, batch);
            timers.startSingleTimer(new SetupTimedOut(), s.budget);
            if (adopted) {
                s.allocate(new Group(null, batch));
            } else {
                s.resolve();
            }
            return s;
        }));
    }

    /** How long one request for parameters may take, retries included. */
    static Duration setupBudget(ControlSettings c) {
        return c.requestTimeout().multipliedBy(c.retries() + 1).plus(c.backoffMax().multipliedBy(c.retries()));
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
                    batch.forEach(d -> fail(d, HoldDrop.TUNNEL_FAILED, "set-up timed out"));
                    return report();
                })
                .onMessage(Close.class, m -> {
                    Direction d = directions.get(m.flow());
                    if (d != null) {
                        finish(d, HoldDrop.TUNNEL_FAILED, "closed during set-up", m.peerGone());
                    }
                    return report();
                })
                .onSignal(PostStop.class, s -> {
                    batch.forEach(d -> fail(d, HoldDrop.TUNNEL_FAILED, "session stopped during set-up"));
                    report();
                    return this;
                })
                .build();
    }

    private void resolve() {
        List<java.net.InetAddress> destinations = batch.stream().map(d -> d.destination).toList();
        getContext().ask(PeerDirectory.ResolvedAll.class, deps.directory(), budget,
                r -> new PeerDirectory.ResolveAll(destinations, r), PeersResolved::new);
    }

    private Behavior<Command> onPeersResolved(PeersResolved m) {
        if (m.failure() != null) {
            batch.forEach(d -> fail(d, HoldDrop.TUNNEL_FAILED, "the peer directory did not answer"));
            return report();
        }
        // one answer per destination, in the batch's order
        List<PeerDirectory.Resolved> resolved = m.resolved().resolved();
        Map<ActorRef<Peer.Command>, List<Direction>> byPeer = new LinkedHashMap<>();
        for (int i = 0; i < batch.size(); i++) {
            Direction d = batch.get(i);
            ActorRef<Peer.Command> peer = resolved.get(i).peer();
            if (d.done) {
                continue;
            }
            if (peer == null) {
                fail(d, HoldDrop.NO_PEER, "no gateway is known to serve " + IpText.of(d.destination));
            } else {
                byPeer.computeIfAbsent(peer, p -> new ArrayList<>()).add(d);
            }
        }
        byPeer.forEach((peer, members) -> {
            Group group = new Group(peer, members);
            if (deps.settings().control().sendReverseParams()) {
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
        getContext().ask(DataplaneActor.Minted.class, deps.dataplane(), budget,
                r -> new DataplaneActor.MintAndOpen(pairs, deps.settings().pspVersion(), deps.grants(), r),
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
        List<Direction> asked = new ArrayList<>();
        List<Peer.Wanted> wanted = new ArrayList<>();
        for (int i = 0; i < group.members().size(); i++) {
            Direction d = group.members().get(i);
            if (d.done) {
                continue;
            }
            TunnelParameters r = reverse == null ? null : reverse.get(i);
            d.reverseSent = r != null;
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
                fail(d, HoldDrop.TUNNEL_FAILED, "no answer from the peer within " + budget.toMillis() + " ms");
                continue;
            }
            Peer.TunnelReply reply = m.replies().replies().get(i);
            if (reply.failure() != null) {
                Status s = reply.failure();
                HoldDrop why = s.getCode() == Status.Code.RESOURCE_EXHAUSTED ? HoldDrop.NO_CRYPTO_SLOT : HoldDrop.TUNNEL_FAILED;
                fail(d, why, "peer refused: " + s.getCode() + (s.getDescription() == null ? "" : " " + s.getDescription()));
            } else if (!d.done) {
                d.params = reply.params();
            }
        }
        allocate(m.group());
        return report();
    }

    private void allocate(Group group) {
        List<Direction> live = group.live();
        if (live.isEmpty()) {
            return;
        }
        Group allocating = new Group(group.peer(), live);
        getContext().ask(CryptoSlotPool.Granted.class, deps.slots(), budget,
                r -> new CryptoSlotPool.Allocate(getContext().getSelf(), live.size(), r),
                (granted, failure) -> new SlotsGranted(allocating, granted, failure));
    }

    private Behavior<Command> onSlots(SlotsGranted m) {
        List<Direction> members = m.group().members();
        List<Integer> ids = m.failure() == null ? m.granted().cryptoIds() : List.of();
        List<Direction> installing = new ArrayList<>(ids.size());
        List<DataplaneActor.Slotted> entries = new ArrayList<>(ids.size());
        for (int i = 0; i < members.size(); i++) {
            Direction d = members.get(i);
            if (i >= ids.size()) {
                fail(d, HoldDrop.NO_CRYPTO_SLOT, m.failure() == null ? "all crypto slots are in use (--max-tunnels)"
                        : "the crypto slot pool did not answer");
                continue;
            }
            if (d.done) {
                // closed while the slot was on its way: never programmed, straight back
                deps.slots().tell(new CryptoSlotPool.Release(ids.get(i)));
                continue;
            }
            d.cryptoId = ids.get(i);
            EncryptEntry entry;
            try {
                entry = WireParams.entry(d.params, d.source, d.destination, d.cryptoId, deps.settings());
            } catch (WireParams.BadParams e) {
                fail(d, HoldDrop.TUNNEL_FAILED, "peer sent unusable parameters: " + e.getMessage());
                continue;
            }
            d.peerPhysical = entry.peerOuter();
            installing.add(d);
            entries.add(new DataplaneActor.Slotted(d.cryptoId, d.params.getEncryptionKey().toByteArray(), entry));
        }
        if (!installing.isEmpty()) {
            Group group = new Group(m.group().peer(), installing);
            getContext().ask(DataplaneActor.Installed.class, deps.dataplane(), budget, r -> new DataplaneActor.Install(entries, r),
                    (installed, failure) -> new EntriesInstalled(group, installed, failure));
        }
        return report();
    }

    private Behavior<Command> onInstalled(EntriesInstalled m) {
        List<Direction> members = m.group().members();
        List<Integer> handed = new ArrayList<>(members.size());
        List<Outcome> up = new ArrayList<>(members.size());
        for (int i = 0; i < members.size(); i++) {
            Direction d = members.get(i);
            if (m.failure() != null) {
                fail(d, HoldDrop.TUNNEL_FAILED, "the data plane did not answer the install");
                continue;
            }
            DataplaneActor.InstallResult result = m.installed().results().get(i);
            if (result.failure() != null) {
                fail(d, HoldDrop.TUNNEL_FAILED, "data plane refused the entry: " + result.failure().getMessage());
            } else if (!d.done) {
                d.done = true;
                inSetup--;
                deps.stats().tunnelUp();
                handed.add(d.cryptoId);
                up.add(new Outcome(d.flow, null, "up",
                        new Tunnel(d.flow, d.cryptoId, d.params.getSpi(), -1, d.peerPhysical, d.reverseGrant, d.reverseSent)));
            }
        }
        if (!handed.isEmpty()) {
            // the slots go to the owner before it hears of the tunnels, so the pool never takes our stopping for a crash
            deps.slots().tell(new CryptoSlotPool.Transfer(handed, deps.owner()));
            outcomes.addAll(up);
            getContext().getLog().debug("{} tunnel(s) up", up.size());
        }
        return report();
    }

    private void fail(Direction d, HoldDrop why, String reason) {
        finish(d, why, reason, false);
    }

    /** Ends {@code d}'s set-up in failure, releasing what it holds (unless it already ended). */
    private void finish(Direction d, HoldDrop why, String reason, boolean peerGone) {
        if (d.done) {
            return;
        }
        d.done = true;
        inSetup--;
        deps.stats().tunnelFailed();
        failures.computeIfAbsent(reason, r -> new ArrayList<>()).add(d.flow);
        outcomes.add(new Outcome(d.flow, why, reason, null));
        release(deps, d.flow, d.cryptoId, d.reverseGrant, d.reverseSent, peerGone);
    }

    /** Tells the parent what this step ended, logs its failures (one line per reason); stops when nothing is left in set-up. */
    private Behavior<Command> report() {
        failures.forEach((reason, flows) -> getContext().getLog().info("{} tunnel(s) failed ({}{}): {}", flows.size(),
                flows.getFirst(), flows.size() > 1 ? " and others" : "", reason));
        failures.clear();
        if (!outcomes.isEmpty()) {
            deps.outcomes().tell(new Outcomes(getContext().getSelf(), outcomes, inSetup == 0));
            outcomes = new ArrayList<>();
        }
        return inSetup == 0 ? Behaviors.stopped() : this;
    }

    /**
     * Gives back what a tunnel direction is made of: its entry and crypto slot ({@code cryptoId} -1
     * when it never got one) and the ACL of its reverse SPI — unless the peer may be sending with
     * it: the reverse parameters went out and the peer is still there (even if its answer never
     * reached us), in which case the grant stays until the peer leaves or the key is retired.
     */
    static void release(Deps deps, FlowKey flow, int cryptoId, IngressGrants.Grant reverseGrant, boolean reverseSent,
                        boolean peerGone) {
        if (cryptoId >= 0) {
            deps.dataplane().tell(new DataplaneActor.Uninstall(flow, cryptoId));
            deps.slots().tell(new CryptoSlotPool.Release(cryptoId));
        }
        if (reverseGrant != null && (!reverseSent || peerGone)) {
            deps.grants().tell(new IngressGrants.Revoke(reverseGrant));
        }
    }
}
