package io.pspgateway.cluster;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWMapKey;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * This gateway's part in the cluster-wide registry of gateways: it publishes its own
 * {@link GatewayInfo} into a Distributed Data LWW map keyed by its member's unique address (a
 * restarted gateway is a new incarnation with a new key), follows the map and the membership,
 * and reports the live view — the gateways of members that are Up, itself excluded — to a
 * listener (the PeerDirectory) whenever it changes. Entries of removed members are deleted.
 *
 * <p>Why Distributed Data and not the receptionist: the receptionist registers actor references,
 * while what peers need here is plain data (addresses and prefixes) that must survive with the
 * member and converge everywhere; a replicated map says exactly that, and its size is visible.
 */
public final class ClusterRegistry extends AbstractBehavior<ClusterRegistry.Command> {

    public sealed interface Command {
    }

    /** Announce these VIP prefixes from now on (a workload moved here or away). */
    public record Announce(List<String> vipPrefixes) implements Command {
    }

    private record MapChanged(Replicator.SubscribeResponse<LWWMap<String, GatewayInfo>> response) implements Command {
    }

    private record Updated(Replicator.UpdateResponse<LWWMap<String, GatewayInfo>> response) implements Command {
    }

    private record MembershipChanged(ClusterEvent.MemberEvent event) implements Command {
    }

    static final Key<LWWMap<String, GatewayInfo>> KEY = LWWMapKey.create("pspgw-gateways");

    private final ReplicatorMessageAdapter<Command, LWWMap<String, GatewayInfo>> replicator;
    private final SelfUniqueAddress self;
    private final String selfKey;
    private final Consumer<List<GatewayInfo>> listener;
    private final Set<String> upMembers = new HashSet<>();
    private GatewayInfo own;
    private Map<String, GatewayInfo> entries = Map.of();
    private List<GatewayInfo> lastView = List.of();

    private ClusterRegistry(ActorContext<Command> context,
                            ReplicatorMessageAdapter<Command, LWWMap<String, GatewayInfo>> replicator, GatewayInfo own,
                            Consumer<List<GatewayInfo>> listener) {
        super(context);
        this.replicator = replicator;
        this.listener = listener;
        this.self = DistributedData.get(context.getSystem()).selfUniqueAddress();
        this.selfKey = self.uniqueAddress().toString();
        this.own = own;
        replicator.subscribe(KEY, MapChanged::new);
        Cluster.get(context.getSystem()).subscriptions().tell(Subscribe.create(
                context.messageAdapter(ClusterEvent.MemberEvent.class, MembershipChanged::new), ClusterEvent.MemberEvent.class));
        replicator.askUpdate(replyTo -> new Replicator.Update<>(KEY, LWWMap.empty(), Replicator.writeLocal(), replyTo,
                map -> map.put(self, selfKey, own)), Updated::new);
    }

    /** Publishes {@code own} and reports every change of the live view to {@code listener} (called on this actor). */
    public static Behavior<Command> create(GatewayInfo own, Consumer<List<GatewayInfo>> listener) {
        return Behaviors.setup(ctx -> DistributedData.withReplicatorMessageAdapter(
                (ReplicatorMessageAdapter<Command, LWWMap<String, GatewayInfo>> r) -> new ClusterRegistry(ctx, r, own, listener)));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(MapChanged.class, this::onMapChanged)
                .onMessage(Updated.class, m -> this)
                .onMessage(Announce.class, m -> {
                    own = new GatewayInfo(own.id(), own.grpcHost(), own.grpcPort(), own.physical(), m.vipPrefixes(), own.versions());
                    GatewayInfo published = own;
                    replicator.askUpdate(replyTo -> new Replicator.Update<>(KEY, LWWMap.empty(), Replicator.writeLocal(), replyTo,
                            map -> map.put(self, selfKey, published)), Updated::new);
                    getContext().getLog().info("announcing VIP prefixes {}", m.vipPrefixes());
                    return this;
                })
                .onMessage(MembershipChanged.class, this::onMembership)
                .build();
    }

    private Behavior<Command> onMapChanged(MapChanged m) {
        if (m.response() instanceof Replicator.Changed<LWWMap<String, GatewayInfo>> changed) {
            entries = changed.get(KEY).getEntries();
            report();
        }
        return this;
    }

    private Behavior<Command> onMembership(MembershipChanged m) {
        Member member = m.event().member();
        String key = member.uniqueAddress().toString();
        if (member.status() == MemberStatus.up() || member.status() == MemberStatus.weaklyUp()) {
            upMembers.add(key);
        } else {
            upMembers.remove(key);
        }
        if (m.event() instanceof ClusterEvent.MemberRemoved && entries.containsKey(key)) {
            replicator.askUpdate(replyTo -> new Replicator.Update<>(KEY, LWWMap.empty(), Replicator.writeLocal(), replyTo,
                    map -> map.remove(self, key)), Updated::new);
        }
        report();
        return this;
    }

    private void report() {
        List<GatewayInfo> view = new ArrayList<>();
        entries.forEach((key, info) -> {
            if (!key.equals(selfKey) && upMembers.contains(key)) {
                view.add(info);
            }
        });
        view.sort(java.util.Comparator.comparing(GatewayInfo::id));
        if (!view.equals(lastView)) {
            lastView = List.copyOf(view);
            getContext().getLog().info("cluster view: {} other gateway(s): {}", view.size(),
                    view.stream().map(GatewayInfo::id).toList());
            listener.accept(lastView);
        }
    }
}
