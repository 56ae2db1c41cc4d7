package io.pspgateway.control;

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
 * (spawned on first use, re-spawned if it stopped). Fed from the tunnel file now; the cluster
 * feeds it later.
 */
public final class PeerDirectory extends AbstractBehavior<PeerDirectory.Command> {

    public sealed interface Command {
    }

    /** Which peer serves {@code vip}? */
    public record Resolve(InetAddress vip, ActorRef<Resolved> replyTo) implements Command {
    }

    /** The peer, or null when no gateway is known to serve the VIP. */
    public record Resolved(InetAddress vip, ActorRef<Peer.Command> peer) {
    }

    private final PrefixTable<InetSocketAddress> table = new PrefixTable<>();
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
                .onMessage(PeerStopped.class, m -> {
                    peers.remove(m.address(), m.peer());
                    return this;
                })
                .build();
    }

    private record PeerStopped(InetSocketAddress address, ActorRef<Peer.Command> peer) implements Command {
    }

    private Behavior<Command> onResolve(Resolve r) {
        InetSocketAddress address = table.lookup(r.vip());
        if (address == null) {
            r.replyTo().tell(new Resolved(r.vip(), null));
            return this;
        }
        ActorRef<Peer.Command> peer = peers.computeIfAbsent(address, a -> {
            ActorRef<Peer.Command> ref = getContext().spawnAnonymous(Peer.create(a, settings, versionsAccepted, stats));
            getContext().watchWith(ref, new PeerStopped(a, ref));
            return ref;
        });
        r.replyTo().tell(new Resolved(r.vip(), peer));
        return this;
    }
}
