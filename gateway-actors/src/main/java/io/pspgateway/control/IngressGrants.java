package io.pspgateway.control;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The owner of every ingress ACL of this gateway: each SPI minted for a peer to send to us is a
 * grant recorded here by the Dataplane actor the moment its ACL opens — before whoever asked for
 * it (the TunnelService answering a peer's request, or a session minting the reverse_params it
 * hands its peer) hears of it, so no ACL is ever without an owner, even when the asker is gone by
 * then. A grant is closed when:
 * <ul>
 *   <li>the gateway it was made to leaves the cluster (or is downed, or restarts as a new
 *       incarnation): no SPI of a gone gateway is accepted any more;</li>
 *   <li>the master key it was minted under is retired (the second rotation after): its packets
 *       could not be decrypted anyway;</li>
 *   <li>the session that minted it as reverse parameters revokes it, having never sent it (or its
 *       peer being gone).</li>
 * </ul>
 *
 * <p>A newer grant for the same VIP pair does not close the older one: requests can arrive out of
 * order (a delayed request carried out after the retry that replaced it), and the responder
 * cannot tell which SPI the peer kept. Chaos found exactly that: closing the older grant cut
 * tunnels whose retry had been answered first. So grants of a live peer accumulate, one per
 * request it made, until it leaves or until the master key that minted them is retired (the
 * second rotation after): SPIs of a retired key cannot be decrypted, so their ACLs are closed.
 */
public final class IngressGrants extends AbstractBehavior<IngressGrants.Command> {

    public sealed interface Command {
    }

    /** ACLs the TunnelService opened: SPI {@code spi} may carry {@code source} to {@code destination}. */
    public record Grant(int spi, InetAddress source, InetAddress destination) {
    }

    public record Granted(List<Grant> grants) implements Command {
    }

    /** Close this grant now (nobody can be sending with it). */
    public record Revoke(Grant grant) implements Command {
    }

    /** The gateway at {@code physical} left: close every grant made to it. */
    public record PeerGone(InetAddress physical) implements Command {
    }

    /** This gateway retired its master key {@code keyIndex}: close the grants of SPIs minted under it (bit 31). */
    public record KeyRetired(int keyIndex) implements Command {
    }

    /** Which gateway (by physical address) serves a VIP now: who a new grant belongs to. */
    public record Owners(Function<InetAddress, InetAddress> ownerOf) implements Command {
    }

    /** How many grants are live. */
    public record GetCount(ActorRef<Integer> replyTo) implements Command {
    }

    /** The live grants. */
    public record GetGrants(ActorRef<List<Grant>> replyTo) implements Command {
    }

    private final ActorRef<DataplaneActor.Command> dataplane;
    private final Set<Grant> live = new HashSet<>();
    private final Map<InetAddress, Set<Grant>> byOwner = new HashMap<>();
    private Function<InetAddress, InetAddress> ownerOf = vip -> null;

    private IngressGrants(ActorContext<Command> context, ActorRef<DataplaneActor.Command> dataplane) {
        super(context);
        this.dataplane = dataplane;
    }

    public static Behavior<Command> create(ActorRef<DataplaneActor.Command> dataplane) {
        return Behaviors.setup(ctx -> new IngressGrants(ctx, dataplane));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Granted.class, this::onGranted)
                .onMessage(PeerGone.class, this::onPeerGone)
                .onMessage(Revoke.class, m -> {
                    if (live.remove(m.grant())) {
                        byOwner.values().forEach(grants -> grants.remove(m.grant()));
                        close(List.of(m.grant()));
                    }
                    return this;
                })
                .onMessage(KeyRetired.class, this::onKeyRetired)
                .onMessage(Owners.class, m -> {
                    ownerOf = m.ownerOf();
                    return this;
                })
                .onMessage(GetCount.class, m -> {
                    m.replyTo().tell(live.size());
                    return this;
                })
                .onMessage(GetGrants.class, m -> {
                    m.replyTo().tell(List.copyOf(live));
                    return this;
                })
                .build();
    }

    private Behavior<Command> onGranted(Granted m) {
        for (Grant g : m.grants()) {
            live.add(g);
            InetAddress owner = ownerOf.apply(g.source());
            if (owner != null) {
                byOwner.computeIfAbsent(owner, o -> new HashSet<>()).add(g);
            }
        }
        return this;
    }

    private Behavior<Command> onPeerGone(PeerGone m) {
        Set<Grant> grants = byOwner.remove(m.physical());
        if (grants == null) {
            return this;
        }
        grants.forEach(live::remove);
        getContext().getLog().info("peer {} is gone: closing the {} ingress ACL(s) granted to it", m.physical().getHostAddress(),
                grants.size());
        close(new ArrayList<>(grants));
        return this;
    }

    private Behavior<Command> onKeyRetired(KeyRetired m) {
        List<Grant> retired = new ArrayList<>();
        live.removeIf(g -> {
            boolean dead = (g.spi() >>> 31) == m.keyIndex();
            if (dead) {
                retired.add(g);
            }
            return dead;
        });
        byOwner.values().forEach(grants -> grants.removeIf(g -> (g.spi() >>> 31) == m.keyIndex()));
        byOwner.values().removeIf(Set::isEmpty);
        getContext().getLog().info("master key {} retired: closing the {} ingress ACL(s) granted under it", m.keyIndex(), retired.size());
        close(retired);
        return this;
    }

    private void close(List<Grant> grants) {
        if (!grants.isEmpty()) {
            dataplane.tell(new DataplaneActor.CloseAcls(grants.stream().map(Grant::spi).toList(),
                    grants.stream().map(g -> new DataplaneActor.AclPair(g.source(), g.destination())).toList()));
        }
    }
}
