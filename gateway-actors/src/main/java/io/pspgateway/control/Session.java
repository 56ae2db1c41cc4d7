package io.pspgateway.control;

import io.grpc.Status;
import io.pspgateway.control.GatewayStats.HoldDrop;
import io.pspgateway.dataplane.EncryptEntry;
import io.pspgateway.dataplane.FlowKey;
import io.pspgateway.dataplane.SpiKey;
import io.pspgateway.proto.doca.TunnelParameters;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * One tunnel direction: sending from a local VIP to a remote VIP. A state machine that owns what
 * the tunnel is made of — its crypto slot and its encrypt entry — and gives them back when it
 * stops, however it stops. The ACL of the reverse SPI it mints for the peer is a grant of
 * {@link IngressGrants} from the start; the session revokes it when it stops unless the peer may
 * be sending with it.
 *
 * <pre>
 *  Resolving --peer--> Requesting --params--> Allocating --slot--> Installing --live--> handed over: stop
 *      \______________________\_____________________\_____________________\--> failed: stop, release
 * </pre>
 *
 * A session adopted from a peer's reverse_params starts at Allocating. Once the entry is live the
 * session hands the tunnel to its parent, the MissHandler, as a {@link Tunnel} — its crypto slot
 * moves to the parent in the pool — and stops: an established tunnel costs a record, not an actor.
 * The MissHandler re-keys and releases it from then on.
 */
public final class Session extends AbstractBehavior<Session.Command> {

    public sealed interface Command {
    }

    /**
     * Stop and release everything (the VIP moved, the peer left, the operator asked).
     *
     * @param peerGone the peer left the cluster: nothing it was handed can be used any more
     */
    public record Close(boolean peerGone) implements Command {
    }

    private record PeerResolved(PeerDirectory.Resolved resolved) implements Command {
    }

    private record ReverseMinted(DataplaneActor.Minted minted) implements Command {
    }

    private record Params(Peer.TunnelReply reply) implements Command {
    }

    private record SlotGranted(CryptoSlotPool.Granted granted) implements Command {
    }

    private record EntryInstalled(DataplaneActor.Installed installed) implements Command {
    }

    private record SetupTimedOut() implements Command {
    }

    /** Where a session reports the outcome of its set-up: the tunnel it hands over, or why it failed. */
    public record Outcome(FlowKey flow, ActorRef<Command> session, HoldDrop failure, String reason, Tunnel tunnel) {
        boolean up() {
            return failure == null;
        }
    }

    /**
     * What every session needs from the gateway; {@code owner} is who established tunnels (and
     * their crypto slots) are handed to.
     */
    record Deps(ActorRef<PeerDirectory.Command> directory, ActorRef<CryptoSlotPool.Command> slots,
                ActorRef<DataplaneActor.Command> dataplane, ActorRef<Outcome> outcomes, GatewaySettings settings,
                GatewayStats stats, CrashPoints crashPoints, ActorRef<IngressGrants.Command> grants, ActorRef<?> owner) {
    }

    private final FlowKey flow;
    private final InetAddress localVip;
    private final InetAddress remoteVip;
    private final Deps deps;
    private TunnelParameters params;
    private int cryptoId = -1;
    /** The tunnel went to the owner: nothing is ours to release any more. */
    private boolean handedOver;
    /** The ACL of the reverse SPI this session minted for the peer (a grant of IngressGrants), if any. */
    private IngressGrants.Grant reverseGrant;
    /** Whether the reverse parameters went out to the peer, which may then send with them. */
    private boolean reverseSent;
    private boolean peerGone;
    private boolean reported;
    private InetAddress peerPhysical;

    private Session(ActorContext<Command> context, FlowKey flow, Deps deps, TunnelParameters given) {
        super(context);
        this.flow = flow;
        this.localVip = flow.source();
        this.remoteVip = flow.destination();
        this.deps = deps;
        this.params = given;
    }

    /** A session that asks the peer serving the remote VIP for parameters. */
    static Behavior<Command> request(FlowKey flow, Deps deps) {
        return start(flow, deps, null);
    }

    /** A session whose parameters a peer already sent as reverse_params. */
    static Behavior<Command> adopt(FlowKey flow, TunnelParameters given, Deps deps) {
        return start(flow, deps, given);
    }

    private static Behavior<Command> start(FlowKey flow, Deps deps, TunnelParameters given) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            Session s = new Session(ctx, flow, deps, given);
            timers.startSingleTimer(new SetupTimedOut(), setupBudget(deps.settings().control()));
            s.begin();
            return s;
        }));
    }

    private void begin() {
        if (params != null) {
            allocate();
        } else {
            deps.directory().tell(new PeerDirectory.Resolve(remoteVip,
                    getContext().messageAdapter(PeerDirectory.Resolved.class, PeerResolved::new)));
        }
    }

    /** How long one request for parameters may take, retries included. */
    static Duration setupBudget(ControlSettings c) {
        return c.requestTimeout().multipliedBy(c.retries() + 1).plus(c.backoffMax().multipliedBy(c.retries()));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(PeerResolved.class, this::onPeerResolved)
                .onMessage(ReverseMinted.class, this::onReverseMinted)
                .onMessage(Params.class, this::onParams)
                .onMessage(SlotGranted.class, this::onSlot)
                .onMessage(EntryInstalled.class, this::onInstalled)
                .onMessage(SetupTimedOut.class, m -> fail(HoldDrop.TUNNEL_FAILED, "set-up timed out"))
                .onMessage(Close.class, m -> {
                    peerGone = m.peerGone();
                    return Behaviors.stopped();
                })
                .onSignal(PostStop.class, s -> release())
                .build();
    }

    private ActorRef<Peer.Command> peer;

    private Behavior<Command> onPeerResolved(PeerResolved m) {
        peer = m.resolved().peer();
        if (peer == null) {
            return fail(HoldDrop.NO_PEER, "no gateway is known to serve " + remoteVip.getHostAddress());
        }
        if (deps.settings().control().sendReverseParams()) {
            deps.dataplane().tell(new DataplaneActor.MintAndOpen(List.of(new DataplaneActor.AclPair(remoteVip, localVip)),
                    deps.settings().pspVersion(), deps.grants(),
                    getContext().messageAdapter(DataplaneActor.Minted.class, ReverseMinted::new)));
            return this;
        }
        return askPeer(null);
    }

    private Behavior<Command> onReverseMinted(ReverseMinted m) {
        if (m.minted().failure() != null) {
            // no reverse parameters: the peer will ask us itself when it has traffic for us
            getContext().getLog().info("{}: no reverse parameters ({})", flow, m.minted().failure().getMessage());
            return askPeer(null);
        }
        SpiKey minted = m.minted().keys().getFirst();
        reverseGrant = new IngressGrants.Grant(minted.spi(), remoteVip, localVip);
        TunnelParameters reverse = WireParams.of(minted, deps.settings());
        minted.destroy();
        return askPeer(reverse);
    }

    private Behavior<Command> askPeer(TunnelParameters reverse) {
        reverseSent = reverse != null;
        peer.tell(new Peer.RequestTunnel(localVip, remoteVip, reverse, getContext().messageAdapter(Peer.TunnelReply.class, Params::new)));
        return this;
    }

    private Behavior<Command> onParams(Params m) {
        if (m.reply().failure() != null) {
            Status s = m.reply().failure();
            HoldDrop why = s.getCode() == Status.Code.RESOURCE_EXHAUSTED ? HoldDrop.NO_CRYPTO_SLOT : HoldDrop.TUNNEL_FAILED;
            return fail(why, "peer refused: " + s.getCode() + (s.getDescription() == null ? "" : " " + s.getDescription()));
        }
        params = m.reply().params();
        return allocate();
    }

    private Behavior<Command> allocate() {
        deps.slots().tell(new CryptoSlotPool.Allocate(getContext().getSelf(),
                getContext().messageAdapter(CryptoSlotPool.Granted.class, SlotGranted::new)));
        return this;
    }

    private Behavior<Command> onSlot(SlotGranted m) {
        deps.crashPoints().reach(CrashPoints.Point.SESSION_SLOT_GRANTED);
        if (m.granted().cryptoId() < 0) {
            return fail(HoldDrop.NO_CRYPTO_SLOT, "all crypto slots are in use (--max-tunnels)");
        }
        cryptoId = m.granted().cryptoId();
        EncryptEntry entry;
        try {
            entry = WireParams.entry(params, localVip, remoteVip, cryptoId, deps.settings());
        } catch (WireParams.BadParams e) {
            return fail(HoldDrop.TUNNEL_FAILED, "peer sent unusable parameters: " + e.getMessage());
        }
        peerPhysical = entry.peerOuter();
        deps.dataplane().tell(new DataplaneActor.Install(cryptoId, params.getEncryptionKey().toByteArray(), entry,
                getContext().messageAdapter(DataplaneActor.Installed.class, EntryInstalled::new)));
        return this;
    }

    private Behavior<Command> onInstalled(EntryInstalled m) {
        if (m.installed().failure() != null) {
            return fail(HoldDrop.TUNNEL_FAILED, "data plane refused the entry: " + m.installed().failure().getMessage());
        }
        deps.stats().tunnelUp();
        // the slot goes to the owner before we stop, so the pool never takes our stopping for a crash
        deps.slots().tell(new CryptoSlotPool.Transfer(cryptoId, deps.owner()));
        handedOver = true;
        Tunnel tunnel = new Tunnel(flow, cryptoId, params.getSpi(), -1, peerPhysical, reverseGrant, reverseSent);
        report(null, "up", tunnel);
        getContext().getLog().debug("tunnel {} is up on crypto slot {}", flow, cryptoId);
        return Behaviors.stopped();
    }

    private Behavior<Command> fail(HoldDrop why, String reason) {
        deps.stats().tunnelFailed();
        getContext().getLog().info("tunnel {} failed: {}", flow, reason);
        report(why, reason, null);
        return Behaviors.stopped();
    }

    private void report(HoldDrop failure, String reason, Tunnel tunnel) {
        if (!reported) {
            reported = true;
            deps.outcomes().tell(new Outcome(flow, getContext().getSelf(), failure, reason, tunnel));
        }
    }

    private Behavior<Command> release() {
        if (handedOver) {
            return this;
        }
        if (!reported) {
            report(HoldDrop.TUNNEL_FAILED, "session stopped during set-up", null);
        }
        release(deps, flow, cryptoId, reverseGrant, reverseSent, peerGone);
        return this;
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
