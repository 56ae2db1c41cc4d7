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
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * One tunnel direction: sending from a local VIP to a remote VIP. A state machine that owns what
 * the tunnel is made of — its crypto slot and its encrypt entry — and gives them back when it
 * stops, however it stops. The ACL of the reverse SPI it mints for the peer is a grant of
 * {@link IngressGrants} from the start; the session revokes it when it stops unless the peer may
 * be sending with it.
 *
 * <pre>
 *  Resolving --peer--> Requesting --params--> Allocating --slot--> Installing --live--> Established
 *      \______________________\_____________________\_____________________\--> failed: stop
 *
 *  Established --peer rotated--> Rekeying: Resolving --peer--> Requesting --params--> Installing --live--> Established
 *                                      \__ refused or no answer: retried, the old SPI keeps working meanwhile
 * </pre>
 *
 * A session adopted from a peer's reverse_params starts at Allocating. The parent (MissHandler)
 * is told when the tunnel is up or has failed.
 *
 * <p>Re-keying is make-before-break: the peer's master key that minted our SPI keeps decrypting
 * for one more rotation after the one we are told about, and in that time the session asks for a
 * fresh SPI and reprograms its own crypto slot and entry in one data-plane step (so it needs no
 * second slot, and cannot be refused one when {@code --max-tunnels} are in use).
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

    /**
     * The peer serving our remote VIP has rotated its master keys to generation {@code generation}
     * (its SPIs now carry bit 31 = {@code generation % 2}): re-key unless our SPI is already of its
     * active key.
     */
    public record PeerKeys(long generation) implements Command {
    }

    private record RekeyTimedOut() implements Command {
    }

    private record RetryRekey() implements Command {
    }

    /** One timer for the re-key in progress: its time-out, or the retry after a failure. */
    private static final String REKEY_TIMER = "rekey";

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

    /** Where a session reports the outcome of its set-up. */
    public record Outcome(FlowKey flow, ActorRef<Command> session, HoldDrop failure, String reason, InetAddress peerPhysical) {
        boolean up() {
            return failure == null;
        }
    }

    /** What every session needs from the gateway. */
    record Deps(ActorRef<PeerDirectory.Command> directory, ActorRef<CryptoSlotPool.Command> slots,
                ActorRef<DataplaneActor.Command> dataplane, ActorRef<Outcome> outcomes, GatewaySettings settings,
                GatewayStats stats, CrashPoints crashPoints, ActorRef<IngressGrants.Command> grants) {
    }

    private final FlowKey flow;
    private final InetAddress localVip;
    private final InetAddress remoteVip;
    private final Deps deps;
    private TimerScheduler<Command> timers;
    private TunnelParameters params;
    private int cryptoId = -1;
    private boolean installed;
    /** The ACL of the reverse SPI this session minted for the peer (a grant of IngressGrants), if any. */
    private IngressGrants.Grant reverseGrant;
    /** Whether the reverse parameters went out to the peer, which may then send with them. */
    private boolean reverseSent;
    private boolean peerGone;
    private boolean reported;
    private InetAddress peerPhysical;
    /** The SPI our entry sends with (valid once installed). */
    private int spi;
    /** The peer's key generation we knew of when our SPI was asked for; -1 when not known. */
    private long spiGeneration = -1;
    /** The newest key generation of the peer we were told of; -1 when not known. */
    private long peerGeneration = -1;
    private boolean rekeying;
    /** The peer's key generation we knew of when the re-key in progress asked for its SPI. */
    private long rekeyGeneration;

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
            s.begin(timers);
            return s;
        }));
    }

    private void begin(TimerScheduler<Command> timers) {
        this.timers = timers;
        timers.startSingleTimer(new SetupTimedOut(), setupBudget());
        if (params != null) {
            allocate();
        } else {
            deps.directory().tell(new PeerDirectory.Resolve(remoteVip,
                    getContext().messageAdapter(PeerDirectory.Resolved.class, PeerResolved::new)));
        }
    }

    /** How long one request for parameters may take, retries included. */
    private Duration setupBudget() {
        ControlSettings c = deps.settings().control();
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
                .onMessage(SetupTimedOut.class, m -> installed ? this : fail(HoldDrop.TUNNEL_FAILED, "set-up timed out"))
                .onMessage(PeerKeys.class, this::onPeerKeys)
                .onMessage(RekeyTimedOut.class, m -> rekeying ? rekeyFailed("no answer within " + setupBudget().toMillis() + " ms") : this)
                .onMessage(RetryRekey.class, m -> {
                    rekeyIfNeeded();
                    return this;
                })
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
        if (installed) {
            return rekeyAsk();
        }
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
        if (installed) {
            return onRekeyParams(m.reply());
        }
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
        if (installed) {
            return onRekeyed();
        }
        installed = true;
        spi = params.getSpi();
        spiGeneration = peerGeneration;
        params = null;
        deps.stats().tunnelUp();
        report(null, "up");
        getContext().getLog().debug("tunnel {} is up on crypto slot {}", flow, cryptoId);
        return this;
    }

    private Behavior<Command> onPeerKeys(PeerKeys m) {
        if (m.generation() <= peerGeneration) {
            return this;
        }
        peerGeneration = m.generation();
        if (installed) {
            // before that our SPI is not known; the parent tells us the peer's generation again once we are up
            rekeyIfNeeded();
        }
        return this;
    }

    private void rekeyIfNeeded() {
        if (!rekeying && installed && peerGeneration >= 0 && spiOfRetiringKey()) {
            startRekey();
        }
    }

    /**
     * Whether our SPI is of a key the peer no longer mints under: its index (bit 31) is not the
     * active one, or it was asked for two rotations ago or more (the index has come round again).
     */
    private boolean spiOfRetiringKey() {
        boolean otherKey = (spi >>> 31) != (int) (peerGeneration & 1);
        boolean twoRotationsOld = spiGeneration >= 0 && peerGeneration - spiGeneration >= 2;
        return otherKey || twoRotationsOld;
    }

    private void startRekey() {
        rekeying = true;
        rekeyGeneration = peerGeneration;
        timers.startSingleTimer(REKEY_TIMER, new RekeyTimedOut(), setupBudget());
        // resolve again: the Peer actor we used may have stopped (and the directory makes a new one)
        deps.directory().tell(new PeerDirectory.Resolve(remoteVip,
                getContext().messageAdapter(PeerDirectory.Resolved.class, PeerResolved::new)));
    }

    private Behavior<Command> rekeyAsk() {
        if (peer == null) {
            return rekeyFailed("no gateway is known to serve " + remoteVip.getHostAddress() + " any more");
        }
        // no reverse parameters: the peer's session towards us re-keys itself when we rotate
        peer.tell(new Peer.RequestTunnel(localVip, remoteVip, null, getContext().messageAdapter(Peer.TunnelReply.class, Params::new)));
        return this;
    }

    private Behavior<Command> onRekeyParams(Peer.TunnelReply reply) {
        if (!rekeying) {
            return this;
        }
        if (reply.failure() != null) {
            return rekeyFailed("peer refused: " + reply.failure().getCode()
                    + (reply.failure().getDescription() == null ? "" : " " + reply.failure().getDescription()));
        }
        EncryptEntry entry;
        try {
            entry = WireParams.entry(reply.params(), localVip, remoteVip, cryptoId, deps.settings());
        } catch (WireParams.BadParams e) {
            return rekeyFailed("peer sent unusable parameters: " + e.getMessage());
        }
        spi = entry.spi();
        // the same slot, reprogrammed, and the entry replaced: one step of the Dataplane actor
        deps.dataplane().tell(new DataplaneActor.Install(cryptoId, reply.params().getEncryptionKey().toByteArray(), entry,
                getContext().messageAdapter(DataplaneActor.Installed.class, EntryInstalled::new)));
        return this;
    }

    private Behavior<Command> onRekeyed() {
        rekeying = false;
        spiGeneration = rekeyGeneration;
        timers.cancel(REKEY_TIMER);
        deps.stats().tunnelRekeyed();
        getContext().getLog().debug("tunnel {} re-keyed: SPI {} on crypto slot {}", flow, Integer.toHexString(spi), cryptoId);
        // the peer may have rotated again while we were asking
        rekeyIfNeeded();
        return this;
    }

    /** The old SPI keeps working until the peer's next rotation: try again a little later. */
    private Behavior<Command> rekeyFailed(String reason) {
        deps.stats().rekeyFailed();
        getContext().getLog().info("re-keying tunnel {} failed ({}); trying again in {} ms", flow, reason,
                deps.settings().control().breakerReset().toMillis());
        rekeying = false;
        timers.startSingleTimer(REKEY_TIMER, new RetryRekey(), deps.settings().control().breakerReset());
        return this;
    }

    private Behavior<Command> fail(HoldDrop why, String reason) {
        deps.stats().tunnelFailed();
        getContext().getLog().info("tunnel {} failed: {}", flow, reason);
        report(why, reason);
        return Behaviors.stopped();
    }

    private void report(HoldDrop failure, String reason) {
        if (!reported) {
            reported = true;
            deps.outcomes().tell(new Outcome(flow, getContext().getSelf(), failure, reason, peerPhysical));
        }
    }

    private Behavior<Command> release() {
        if (!reported) {
            report(HoldDrop.TUNNEL_FAILED, "session stopped during set-up");
        }
        if (installed || cryptoId >= 0) {
            deps.dataplane().tell(new DataplaneActor.Uninstall(flow, cryptoId));
        }
        if (cryptoId >= 0) {
            deps.slots().tell(new CryptoSlotPool.Release(cryptoId));
        }
        if (reverseGrant != null && (!reverseSent || peerGone)) {
            // otherwise the peer may have adopted our reverse parameters (even if its answer never
            // reached us) and send with them after we are gone: the grant stays until it leaves or
            // the key is retired
            deps.grants().tell(new IngressGrants.Revoke(reverseGrant));
        }
        return this;
    }
}
