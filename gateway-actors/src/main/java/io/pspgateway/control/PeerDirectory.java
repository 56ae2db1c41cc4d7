package io.pspgateway.control;

import io.pspgateway.cluster.GatewayInfo;
import io.pspgateway.config.HostPort;
import io.pspgateway.config.TunnelConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * has its Peer stopped and its sessions closed (through the MissHandler).
 */
public final class PeerDirectory extends AbstractBehavior<PeerDirectory.Command> {

    public sealed interface Command {
    }

    /** Which peer serves {@code vip}? */
    public record Resolve(InetAddress vip, ActorRef<Resolved> replyTo) implements Command {
    }

    /** The peer and its gRPC address, or nulls when no gateway is known to serve the VIP. */
    public record Resolved(InetAddress vip, ActorRef<Peer.Command> peer, InetSocketAddress address) {
    }

    /** The cluster's live gateways (this one excluded), replacing the previous view. */
    public record ClusterView(List<GatewayInfo> gateways) implements Command {
    }

    /** Where to report gateways that left the view. */
    public record Listen(ActorRef<MissHandler.Command> missHandler) implements Command {
    }

    /** The gateways the directory knows from the cluster now. */
    public record GetClusterGateways(ActorRef<List<String>> replyTo) implements Command {
    }

    private final PrefixTable<InetSocketAddress> table = new PrefixTable<>();
    private PrefixTable<InetSocketAddress> clusterTable = new PrefixTable<>();
    private List<GatewayInfo> clusterView = List.of();
    private ActorRef<MissHandler.Command> missHandler;
    private final Map<InetSocketAddress, ActorRef<Peer.Command>> peers = new HashMap<>();
    private final ControlSettings settings;
    private final List<Integer> versionsAccepted;
    private final GatewayStats stats;

    private PeerDirectory(ActorContext<Command> context, TunnelConfig tunnels, ControlSettings settings,
                          List<Integer> versionsAccepted, GatewayStats stats) {
        super(context);
        this.settings = settings;
        this.versionsAccepted = versionsAccepted;
        this.stats = stats;
        for (TunnelConfig.Peer p : tunnels.peers()) {
            for (TunnelConfig.Prefix prefix : p.remotePrefixes()) {
                InetSocketAddress before = table.put(prefix.network(), prefix.length(), p.grpc());
                if (before != null && !before.equals(p.grpc())) {
                    context.getLog().warn("VIP prefix {}/{} is configured for both {} and {}; using {}",
                            prefix.network().getHostAddress(), prefix.length(), before, p.grpc(), p.grpc());
                }
            }
        }
    }

    public static Behavior<Command> create(TunnelConfig tunnels, ControlSettings settings, List<Integer> versionsAccepted,
                                           GatewayStats stats) {
        return Behaviors.setup(ctx -> new PeerDirectory(ctx, tunnels, settings, versionsAccepted, stats));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Resolve.class, this::onResolve)
                .onMessage(ClusterView.class, this::onClusterView)
                .onMessage(Listen.class, m -> {
                    missHandler = m.missHandler();
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

    private Behavior<Command> onClusterView(ClusterView m) {
        PrefixTable<InetSocketAddress> next = new PrefixTable<>();
        Map<String, String> claimedBy = new HashMap<>();
        java.util.Set<String> conflicted = new java.util.HashSet<>();
        for (GatewayInfo g : m.gateways()) {
            for (String prefix : g.vipPrefixes()) {
                String other = claimedBy.putIfAbsent(prefix, g.id());
                if (other != null && !other.equals(g.id())) {
                    conflicted.add(prefix);
                    getContext().getLog().warn("VIP prefix {} is claimed by both {} and {}: neither is used until one lets go",
                            prefix, other, g.id());
                }
            }
        }
        for (GatewayInfo g : m.gateways()) {
            InetSocketAddress grpc = new InetSocketAddress(HostPort.ip(g.grpcHost()), g.grpcPort());
            for (String prefix : g.vipPrefixes()) {
                if (conflicted.contains(prefix)) {
                    continue;
                }
                if (table.lookup(HostPort.ip(prefix.split("/")[0])) != null) {
                    getContext().getLog().info("VIP prefix {} of {} is also in the tunnel file; the file wins", prefix, g.id());
                }
                next.put(prefix, grpc);
            }
        }
        for (GatewayInfo gone : clusterView) {
            if (!m.gateways().contains(gone)) {
                InetSocketAddress grpc = new InetSocketAddress(HostPort.ip(gone.grpcHost()), gone.grpcPort());
                ActorRef<Peer.Command> peer = peers.remove(grpc);
                if (peer != null) {
                    getContext().stop(peer);
                }
                if (missHandler != null) {
                    missHandler.tell(new MissHandler.PeerGone(HostPort.ip(gone.physical())));
                }
            }
        }
        clusterTable = next;
        clusterView = List.copyOf(m.gateways());
        if (missHandler != null) {
            // a VIP that now resolves to another gateway (a workload moved) must be re-tunnelled
            PrefixTable<InetAddress> owners = new PrefixTable<>();
            for (GatewayInfo g : m.gateways()) {
                for (String prefix : g.vipPrefixes()) {
                    if (!conflicted.contains(prefix)) {
                        owners.put(prefix, HostPort.ip(g.physical()));
                    }
                }
            }
            missHandler.tell(new MissHandler.Owners(owners::lookup));
        }
        return this;
    }

    private Behavior<Command> onResolve(Resolve r) {
        InetSocketAddress address = table.lookup(r.vip());
        if (address == null) {
            address = clusterTable.lookup(r.vip());
        }
        if (address == null) {
            r.replyTo().tell(new Resolved(r.vip(), null, null));
            return this;
        }
        ActorRef<Peer.Command> peer = peers.computeIfAbsent(address, a -> {
            ActorRef<Peer.Command> ref = getContext().spawnAnonymous(Peer.create(a, settings, versionsAccepted, stats));
            getContext().watchWith(ref, new PeerStopped(a, ref));
            return ref;
        });
        r.replyTo().tell(new Resolved(r.vip(), peer, address));
        return this;
    }
}
