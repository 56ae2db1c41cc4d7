package io.pspgateway.control;

import io.pspgateway.cluster.ClusterMembership;
import io.pspgateway.cluster.ClusterRegistry;
import io.pspgateway.cluster.GatewayInfo;
import io.pspgateway.dataplane.DataplaneOps;
import io.pspgateway.psp.IpText;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The guardian of one gateway: starts the Dataplane actor, the crypto slot pool, the peer
 * directory, the miss handler, the ingress grants, the key rotator and (when clustered) the
 * cluster registry from the settings, and hands their references out. Stopping it
 * (the ActorSystem's termination) stops them children first, so every session releases its
 * slot and entries before the data plane itself is closed.
 */
public final class Gateway extends AbstractBehavior<Gateway.Command> {

    public sealed interface Command {
    }

    public record GetRefs(ActorRef<Refs> replyTo) implements Command {
    }

    /** The actors the rest of the gateway (gRPC service, miss poller, printers) talks to. */
    public record Refs(ActorRef<DataplaneActor.Command> dataplane, ActorRef<CryptoSlotPool.Command> slots,
                       ActorRef<PeerDirectory.Command> directory, ActorRef<MissHandler.Command> missHandler,
                       ActorRef<Tunnels.Command> tunnels,
                       Optional<ActorRef<ClusterRegistry.Command>> registry, ActorRef<IngressGrants.Command> grants,
                       ActorRef<KeyRotator.Command> keys, io.pspgateway.cluster.AnnouncementTrust announcements) {
    }

    private final Refs refs;

    private Gateway(ActorContext<Command> context, GatewaySettings settings, DataplaneOps ops, GatewayStats stats,
                    PerfCounters perf, ActorDecorator decorator, Consumer<Authorizer> authorizers) {
        super(context);
        ActorRef<DataplaneActor.Command> dataplane = context.spawn(DataplaneActor.create(ops, perf, settings.debugKeys()), "dataplane",
                org.apache.pekko.actor.typed.DispatcherSelector.fromConfig("pspgw.dataplane-dispatcher"));
        PeerLimits limits = settings.control().peerLimits().resolve(ops.keySlotCount(), Runtime.getRuntime().maxMemory());
        context.getLog().info("peer limits: {} requests a second (burst {}), {} ingress grants and {} reverse-parameter slots per peer, "
                + "{} ingress ACLs in all", limits.requestsPerSecond(), limits.burst(), limits.grantsPerPeer(), limits.reverseSlotsPerPeer(),
                limits.ingressAcls());
        ActorRef<CryptoSlotPool.Command> slots = context.spawn(CryptoSlotPool.create(ops.keySlotCount(), limits.reverseSlotsPerPeer(),
                dataplane, stats, decorator), "crypto-slots");
        List<Integer> versions = settings.pspVersion().wire() == 1 ? List.of(1, 0) : List.of(0, 1);
        ActorRef<PeerDirectory.Command> directory = context.spawn(
                PeerDirectory.create(settings.tunnels(), settings.control(), PeerDialing.of(settings), versions, stats, decorator, authorizers), "peers");
        ActorRef<IngressGrants.Command> grants = context.spawn(IngressGrants.create(dataplane, settings.control().grantIdleClose(), limits, stats), "ingress-grants");
        SessionDeps deps = new SessionDeps(directory, slots, dataplane, grants, settings, stats, decorator);
        ActorRef<Tunnels.Command> tunnels = context.spawn(Tunnels.create(deps), "tunnels");
        ActorRef<MissHandler.Command> missHandler = context.spawn(MissHandler.create(deps, tunnels), "miss-handler");
        directory.tell(new PeerDirectory.Listen(tunnels, grants));
        Optional<ActorRef<ClusterRegistry.Command>> registry = Optional.empty();
        io.pspgateway.cluster.AnnouncementTrust announcements = new io.pspgateway.cluster.AnnouncementTrust(settings.tls());
        if (settings.cluster().isPresent()) {
            ClusterMembership membership = settings.cluster().get();
            String grpcHost = settings.grpcBind().getAddress().isAnyLocalAddress()
                    ? IpText.of(settings.uplink()) : IpText.of(settings.grpcBind().getAddress());
            GatewayInfo own = new GatewayInfo(membership.gatewayId(), grpcHost, settings.grpcBind().getPort(),
                    IpText.of(settings.uplink()), membership.vipPrefixes(), versions, 0, 0);
            registry = Optional.of(context.spawn(ClusterRegistry.create(own, announcements, view -> directory.tell(new PeerDirectory.ClusterView(view))),
                    "cluster-registry"));
        }
        ActorRef<KeyRotator.Command> keys = context.spawn(KeyRotator.create(dataplane, grants, registry, directory, settings.control()), "key-rotator");
        this.refs = new Refs(dataplane, slots, directory, missHandler, tunnels, registry, grants, keys, announcements);
    }

    /**
     * {@code decorator}: {@link ActorDecorator#NONE} but in tests that disturb the actors;
     * {@code authorizers}: receives each new snapshot of who may call this gateway.
     */
    public static Behavior<Command> create(GatewaySettings settings, DataplaneOps ops, GatewayStats stats, PerfCounters perf,
                                           ActorDecorator decorator, Consumer<Authorizer> authorizers) {
        return Behaviors.setup(ctx -> new Gateway(ctx, settings, ops, stats, perf, decorator, authorizers));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(GetRefs.class, m -> {
                    m.replyTo().tell(refs);
                    return this;
                })
                .build();
    }
}
