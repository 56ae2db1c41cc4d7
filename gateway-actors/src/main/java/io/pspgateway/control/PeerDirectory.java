package io.pspgateway.control;

import io.pspgateway.cluster.GatewayInfo;
import io.pspgateway.config.HostPort;
import io.pspgateway.config.TunnelConfig;
import io.pspgateway.psp.IpText;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Which gateway serves which VIP, by longest prefix, and the {@link Peer} actor of each gateway
 * (spawned on first use, re-spawned if it stopped). Fed from the tunnel file and, when the gateway
 * is clustered, from the cluster's live view: the file wins where both name a prefix; a prefix two
 * live gateways claim is a reported conflict and used for neither. A gateway that leaves the view
 * has its Peer stopped and its tunnels closed (by {@link Tunnels}).
 */
public final class PeerDirectory extends AbstractBehavior<PeerDirectory.Command> {

    public sealed interface Command {
    }

    /** Which peer serves {@code vip}? */
    public record Resolve(InetAddress vip, ActorRef<Resolved> replyTo) implements Command {
    }

    /** Which peers serve these VIPs? One answer for all, in their order. */
    public record ResolveAll(List<InetAddress> vips, ActorRef<ResolvedAll> replyTo) implements Command {
    }

    public record ResolvedAll(List<Resolved> resolved) {
    }

    /** The peer and its gRPC address, or nulls when no gateway is known to serve the VIP. */
    public record Resolved(InetAddress vip, ActorRef<Peer.Command> peer, InetSocketAddress address) {
    }

    /** The cluster's live gateways (this one excluded), replacing the previous view. */
    public record ClusterView(List<GatewayInfo> gateways) implements Command {
    }

    /** Where to report gateways that left the view, their key generations, and who serves which VIP. */
    public record Listen(ActorRef<Tunnels.Command> tunnels, ActorRef<IngressGrants.Command> grants) implements Command {
    }

    /** We rotated our master keys to {@code generation}: every gateway of the tunnel file is told, so it re-keys in time. */
    public record TellKeysRotated(long generation) implements Command {
    }

    /** The gateways the directory knows from the cluster now. */
    public record GetClusterGateways(ActorRef<List<String>> replyTo) implements Command {
    }

    private final PrefixTable<InetSocketAddress> table = new PrefixTable<>();
    /** Where a cluster-announced prefix goes: its gateway's gRPC and physical address, one per gateway. */
    private record Owner(String id, InetSocketAddress grpc, InetAddress physical) {
    }

    private PrefixTable<Owner> clusterTable = new PrefixTable<>();
    private List<GatewayInfo> clusterView = List.of();
    private ActorRef<Tunnels.Command> tunnelOwner;
    private ActorRef<IngressGrants.Command> grants;
    private final Map<InetSocketAddress, ActorRef<Peer.Command>> peers = new HashMap<>();
    private final ControlSettings settings;
    private final List<Integer> versionsAccepted;
    private final GatewayStats stats;
    private final ActorDecorator decorator;
    private final TunnelConfig tunnels;
    private final Consumer<Authorizer> authorizers;
    private final PeerDialing dialing;

    private PeerDirectory(ActorContext<Command> context, TunnelConfig tunnels, ControlSettings settings, PeerDialing dialing,
                          List<Integer> versionsAccepted, GatewayStats stats, ActorDecorator decorator,
                          Consumer<Authorizer> authorizers) {
        super(context);
        this.tunnels = tunnels;
        this.authorizers = authorizers;
        authorizers.accept(Authorizer.of(tunnels, List.of()));
        this.dialing = dialing;
        this.settings = settings;
        this.decorator = decorator;
        this.versionsAccepted = versionsAccepted;
        this.stats = stats;
        for (TunnelConfig.Peer p : tunnels.peers()) {
            for (TunnelConfig.Prefix prefix : p.remotePrefixes()) {
                InetSocketAddress before = table.put(prefix.network(), prefix.length(), p.grpc());
                if (before != null && !before.equals(p.grpc())) {
                    context.getLog().warn("VIP prefix {}/{} is configured for both {} and {}; using {}",
                            IpText.of(prefix.network()), prefix.length(), IpText.of(before), IpText.of(p.grpc()), IpText.of(p.grpc()));
                }
            }
        }
    }

    /**
     * {@code dialing}: how every peer channel is dialled (TLS material, source address);
     * {@code authorizers}: told who may call this gateway, at start and whenever the cluster view changes.
     */
    public static Behavior<Command> create(TunnelConfig tunnels, ControlSettings settings, PeerDialing dialing,
                                           List<Integer> versionsAccepted, GatewayStats stats, ActorDecorator decorator,
                                           Consumer<Authorizer> authorizers) {
        return Behaviors.setup(ctx -> new PeerDirectory(ctx, tunnels, settings, dialing, versionsAccepted, stats, decorator,
                authorizers));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Resolve.class, r -> {
                    r.replyTo().tell(resolve(r.vip()));
                    return this;
                })
                .onMessage(ResolveAll.class, r -> {
                    r.replyTo().tell(new ResolvedAll(r.vips().stream().map(this::resolve).toList()));
                    return this;
                })
                .onMessage(ClusterView.class, this::onClusterView)
                .onMessage(Listen.class, m -> {
                    tunnelOwner = m.tunnels();
                    grants = m.grants();
                    return this;
                })
                .onMessage(TellKeysRotated.class, m -> {
                    for (TunnelConfig.Peer p : tunnels.peers()) {
                        peerAt(p.grpc(), Optional.empty()).tell(new Peer.TellKeysRotated(m.generation(), getContext().getSystem().ignoreRef()));
                    }
                    return this;
                })
                .onMessage(GetClusterGateways.class, m -> {
                    m.replyTo().tell(clusterView.stream().map(GatewayInfo::id).toList());
                    return this;
                })
                .onMessage(PeerStopped.class, m -> {
                    peers.remove(m.address(), m.peer());
                    return this;
                })
                .build();
    }

    private record PeerStopped(InetSocketAddress address, ActorRef<Peer.Command> peer) implements Command {
    }

    private record Conflict(byte[] network, int length, String first, String second) {
    }

    private Behavior<Command> onClusterView(ClusterView m) {
        PrefixTable<Owner> next = new PrefixTable<>();
        List<Conflict> conflicts = new java.util.ArrayList<>();
        boolean fileHasPrefixes = !table.isEmpty();
        for (GatewayInfo g : m.gateways()) {
            Owner owner = new Owner(g.id(), new InetSocketAddress(HostPort.ip(g.grpcHost()), g.grpcPort()), HostPort.ip(g.physical()));
            g.vipPrefixes().forEach((network, length) -> {
                Owner before = next.put(network, length, owner);
                if (before != null && !before.id().equals(g.id())) {
                    conflicts.add(new Conflict(network.clone(), length, before.id(), g.id()));
                }
                if (fileHasPrefixes && table.lookup(HostPort.ip(network)) != null) {
                    getContext().getLog().info("VIP prefix {}/{} of {} is also in the tunnel file; the file wins",
                            IpText.of(HostPort.ip(network)), length, g.id());
                }
            });
        }
        // a prefix two live gateways claim is used for neither
        for (Conflict c : conflicts) {
            next.remove(c.network(), c.length());
            getContext().getLog().warn("VIP prefix {}/{} is claimed by both {} and {}: neither is used until one lets go",
                    IpText.of(HostPort.ip(c.network())), c.length(), c.first(), c.second());
        }
        java.util.Set<String> stillThere = new java.util.HashSet<>();
        m.gateways().forEach(g -> stillThere.add(identity(g)));
        Map<String, Long> generationsBefore = new HashMap<>();
        clusterView.forEach(g -> generationsBefore.put(identity(g), g.keyGeneration()));
        for (GatewayInfo gone : clusterView) {
            if (!stillThere.contains(identity(gone))) {
                InetSocketAddress grpc = new InetSocketAddress(HostPort.ip(gone.grpcHost()), gone.grpcPort());
                ActorRef<Peer.Command> peer = peers.remove(grpc);
                if (peer != null) {
                    getContext().stop(peer);
                }
                if (tunnelOwner != null) {
                    tunnelOwner.tell(new Tunnels.PeerGone(HostPort.ip(gone.physical())));
                    grants.tell(new IngressGrants.PeerGone(HostPort.ip(gone.physical())));
                }
            }
        }
        clusterTable = next;
        clusterView = List.copyOf(m.gateways());
        authorizers.accept(Authorizer.of(tunnels, clusterView));
        if (tunnelOwner != null) {
            // tell the sessions each gateway's key generation when first seen and whenever it rotates
            for (GatewayInfo g : m.gateways()) {
                Long before = generationsBefore.get(identity(g));
                if (before == null || before != g.keyGeneration()) {
                    tunnelOwner.tell(new Tunnels.PeerKeys(HostPort.ip(g.physical()), g.keyGeneration()));
                }
            }
        }
        if (tunnelOwner != null) {
            // a VIP that now resolves to another gateway (a workload moved) must be re-tunnelled
            java.util.function.Function<InetAddress, InetAddress> ownerOf = vip -> {
                Owner owner = next.lookup(vip);
                return owner == null ? null : owner.physical();
            };
            tunnelOwner.tell(new Tunnels.Owners(ownerOf));
            grants.tell(new IngressGrants.Owners(ownerOf));
        }
        return this;
    }

    /**
     * What makes two announcements the same gateway: its prefixes may change and it stays; a
     * restart on the same addresses is another incarnation, and the old one is gone.
     */
    private static String identity(GatewayInfo g) {
        return g.id() + "@" + g.grpcHost() + ":" + g.grpcPort() + "/" + g.physical() + "#" + g.incarnation();
    }

    private Resolved resolve(InetAddress vip) {
        InetSocketAddress address = table.lookup(vip);
        // a cluster member's server must also prove its gateway id; a file's peer, its address
        Optional<String> id = Optional.empty();
        if (address == null) {
            Owner owner = clusterTable.lookup(vip);
            address = owner == null ? null : owner.grpc();
            id = owner == null ? Optional.empty() : Optional.of(owner.id());
        }
        if (address == null) {
            return new Resolved(vip, null, null);
        }
        return new Resolved(vip, peerAt(address, id), address);
    }

    /** The Peer actor of the gateway at {@code address} (whose certificate must name {@code id}, if given), spawned if needed. */
    private ActorRef<Peer.Command> peerAt(InetSocketAddress address, Optional<String> id) {
        PeerDialing towards = dialing.towards(id);
        return peers.computeIfAbsent(address, a -> {
            ActorRef<Peer.Command> ref = getContext().spawnAnonymous(decorator.decorate(Peer.class,
                    Peer.create(a, settings, towards, versionsAccepted, stats)));
            getContext().watchWith(ref, new PeerStopped(a, ref));
            return ref;
        });
    }
}
