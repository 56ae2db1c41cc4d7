package io.pspgateway.cluster;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.UniqueAddress;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWRegister;
import org.apache.pekko.cluster.ddata.LWWRegisterKey;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * This gateway's part in the cluster-wide registry of gateways. Each member publishes its
 * {@link GatewayInfo} in a Distributed Data register of its own, keyed by the member's unique
 * address — so a gateway restarted on the same address is a new incarnation under a new key, and
 * the key of every member is known from the membership alone. This actor follows the registers of
 * the members that are Up, reports the live view (itself excluded) to a listener (the
 * PeerDirectory) whenever it changes, and deletes the register of a member that was removed.
 *
 * <p>Why one register per member and not one shared map: gossip and replication work per
 * top-level key, so a 10 000-prefix announcement changes and travels alone instead of making a
 * single entry of every gateway's prefixes that no frame could carry. Why Distributed Data and not
 * the receptionist: peers need plain, converging data (addresses and prefixes), not actor references.
 *
 * <p>What it publishes is signed, and what it reads is believed only as {@link AnnouncementTrust}
 * allows: an announcement it does not believe counts as none from that member.
 */
public final class ClusterRegistry extends AbstractBehavior<ClusterRegistry.Command> {

    public sealed interface Command {
    }

    /** Announce these VIP prefixes from now on (a workload moved here or away). */
    public record Announce(VipPrefixes vipPrefixes) implements Command {
    }

    /** This gateway's master keys reached generation {@code generation}: peers holding SPIs of the previous key re-key. */
    public record KeysRotated(long generation) implements Command {
    }

    private record RegisterChanged(Replicator.SubscribeResponse<LWWRegister<GatewayInfo>> response) implements Command {
    }

    private record Written(Replicator.UpdateResponse<LWWRegister<GatewayInfo>> response) implements Command {
    }

    private record Deleted(Replicator.DeleteResponse<LWWRegister<GatewayInfo>> response) implements Command {
    }

    private record MembershipChanged(ClusterEvent.MemberEvent event) implements Command {
    }

    private record ReportView() implements Command {
    }

    /**
     * Changes are reported at most this often: when a cluster forms, each member's announcement
     * arrives on its own, and the directory rebuilds its whole prefix table for every report.
     */
    private static final java.time.Duration REPORT_EVERY = java.time.Duration.ofMillis(100);

    private static final Replicator.WriteAll PUBLISH = new Replicator.WriteAll(java.time.Duration.ofSeconds(3));

    private final ReplicatorMessageAdapter<Command, LWWRegister<GatewayInfo>> replicator;
    private final SelfUniqueAddress self;
    private final Key<LWWRegister<GatewayInfo>> ownKey;
    private final Consumer<List<GatewayInfo>> listener;
    private final TimerScheduler<Command> timers;
    private final AnnouncementTrust trust;
    /** What each Up member (by register key) announces; null until its register arrives (or while it is not believed). */
    private final Map<Key<LWWRegister<GatewayInfo>>, GatewayInfo> upMembers = new HashMap<>();
    /** The incarnation (member uid) whose register each key is. */
    private final Map<Key<LWWRegister<GatewayInfo>>, Long> incarnations = new HashMap<>();
    private GatewayInfo own;
    private List<GatewayInfo> lastView = List.of();

    private ClusterRegistry(ActorContext<Command> context, TimerScheduler<Command> timers,
                            ReplicatorMessageAdapter<Command, LWWRegister<GatewayInfo>> replicator,
                            GatewayInfo own, AnnouncementTrust trust, Consumer<List<GatewayInfo>> listener) {
        super(context);
        this.trust = trust;
        // behind the timer and replicator wrappers the context would name its logger after Pekko's ActorCell
        context.setLoggerName(ClusterRegistry.class);
        this.timers = timers;
        this.replicator = replicator;
        this.listener = listener;
        this.self = DistributedData.get(context.getSystem()).selfUniqueAddress();
        this.ownKey = keyOf(self.uniqueAddress());
        Cluster.get(context.getSystem()).subscriptions().tell(Subscribe.create(
                context.messageAdapter(ClusterEvent.MemberEvent.class, MembershipChanged::new), ClusterEvent.MemberEvent.class));
        publish(own.withIncarnation(self.uniqueAddress().longUid()));
    }

    /**
     * Publishes {@code own}, signed as {@code trust} signs, and reports every change of the live
     * view (what {@code trust} believes) to {@code listener} (called on this actor).
     */
    public static Behavior<Command> create(GatewayInfo own, AnnouncementTrust trust, Consumer<List<GatewayInfo>> listener) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> DistributedData.withReplicatorMessageAdapter(
                (ReplicatorMessageAdapter<Command, LWWRegister<GatewayInfo>> r) -> new ClusterRegistry(ctx, timers, r, own, trust, listener))));
    }

    /** The register a member publishes in: one per incarnation. */
    static Key<LWWRegister<GatewayInfo>> keyOf(UniqueAddress member) {
        return LWWRegisterKey.create("pspgw-gateway-" + member.address().hostPort() + "-" + member.longUid());
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(RegisterChanged.class, this::onRegisterChanged)
                .onMessage(Written.class, m -> {
                    if (m.response() instanceof Replicator.UpdateTimeout<?>) {
                        getContext().getLog().info("not every member confirmed this gateway's announcement within {}; gossip carries it on",
                                PUBLISH.timeout());
                    } else if (!(m.response() instanceof Replicator.UpdateSuccess<?>)) {
                        getContext().getLog().warn("publishing this gateway in the registry failed: {}", m.response());
                    }
                    return this;
                })
                .onMessage(Deleted.class, m -> this)
                .onMessage(Announce.class, m -> {
                    getContext().getLog().info("announcing VIP prefixes {}", m.vipPrefixes());
                    publish(own.withPrefixes(m.vipPrefixes()));
                    return this;
                })
                .onMessage(KeysRotated.class, m -> {
                    publish(own.withKeyGeneration(m.generation()));
                    return this;
                })
                .onMessage(MembershipChanged.class, this::onMembership)
                .onMessage(ReportView.class, m -> {
                    report();
                    return this;
                })
                .build();
    }

    private void publish(GatewayInfo unsigned) {
        own = unsigned;
        GatewayInfo info = trust.sign(unsigned);
        // straight to every member now (gossip would take a few rounds); members joining later get it by gossip
        replicator.askUpdate(replyTo -> new Replicator.Update<>(ownKey, LWWRegister.create(self, info), PUBLISH,
                replyTo, register -> register.withValue(self, info)), Written::new);
    }

    private Behavior<Command> onRegisterChanged(RegisterChanged m) {
        if (m.response() instanceof Replicator.Changed<LWWRegister<GatewayInfo>> changed
                && upMembers.containsKey(changed.key())) {
            GatewayInfo announced = changed.dataValue().getValue();
            Optional<String> refusal = trust.refusal(announced, incarnations.get(changed.key()));
            if (refusal.isPresent()) {
                getContext().getLog().warn("ignoring the announcement of gateway '{}' in the register of {}: {}", announced.id(),
                        changed.key().id(), refusal.get());
            }
            upMembers.put(changed.key(), refusal.isPresent() ? null : announced);
            reportSoon();
        }
        return this;
    }

    private Behavior<Command> onMembership(MembershipChanged m) {
        Member member = m.event().member();
        Key<LWWRegister<GatewayInfo>> key = keyOf(member.uniqueAddress());
        if (key.equals(ownKey)) {
            return this;
        }
        boolean up = member.status() == MemberStatus.up() || member.status() == MemberStatus.weaklyUp();
        if (up && !upMembers.containsKey(key)) {
            upMembers.put(key, null);
            incarnations.put(key, member.uniqueAddress().longUid());
            replicator.subscribe(key, RegisterChanged::new);
        } else if (!up && upMembers.containsKey(key)) {
            // no unsubscribe: the typed replicator's Unsubscribe drops every subscription of this actor
            // (they share one adapter), not just this key's; changes of keys not Up are ignored instead
            upMembers.remove(key);
            incarnations.remove(key);
            reportSoon();
        }
        if (m.event() instanceof ClusterEvent.MemberRemoved) {
            // that incarnation never comes back: its register goes (every member asks; deleting twice is harmless)
            replicator.askDelete(replyTo -> new Replicator.Delete<>(key, Replicator.writeLocal(), replyTo), Deleted::new);
        }
        return this;
    }

    private void reportSoon() {
        if (!timers.isTimerActive(ReportView.class)) {
            timers.startSingleTimer(ReportView.class, new ReportView(), REPORT_EVERY);
        }
    }

    private void report() {
        List<GatewayInfo> view = new ArrayList<>();
        for (GatewayInfo info : upMembers.values()) {
            if (info != null) {
                view.add(info);
            }
        }
        view.sort(Comparator.comparing(GatewayInfo::id));
        if (!view.equals(lastView)) {
            lastView = List.copyOf(view);
            getContext().getLog().info("cluster view: {} other gateway(s): {}", view.size(),
                    view.stream().map(GatewayInfo::id).toList());
            listener.accept(lastView);
        }
    }
}
