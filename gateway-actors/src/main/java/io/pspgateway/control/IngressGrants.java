package io.pspgateway.control;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;
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
 *       peer being gone);</li>
 *   <li>its VIP pair's traffic has moved to another grant: it has carried no packet for
 *       {@code pspgw.grant-idle-close} while another grant of the same pair did (a retried request,
 *       or the SPI a sender re-keyed from). A sender uses one SPI per pair at a time, so the idle
 *       one is held by nobody.</li>
 * </ul>
 *
 * <p>A newer grant for the same VIP pair does not close the older one: requests can arrive out of
 * order (a delayed request carried out after the retry that replaced it), and the responder
 * cannot tell which SPI the peer kept. Chaos found exactly that: closing the older grant cut
 * tunnels whose retry had been answered first. Usage decides instead: the grant that carries the
 * pair's packets is the one the peer kept. Grants of a pair without traffic stay until their key
 * is retired or their peer leaves.
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

    private record Sweep() implements Command {
    }

    private record Counted(DataplaneActor.AclPackets counted) implements Command {
    }

    /** What a grant has carried, as last read, and when that last grew (or the grant was made). */
    private static final class Usage {
        final InetAddress owner;
        long packets;
        long activeAtNanos;
        boolean grewThisSweep;

        Usage(InetAddress owner, long now) {
            this.owner = owner;
            this.activeAtNanos = now;
        }
    }

    private final ActorRef<DataplaneActor.Command> dataplane;
    private final Duration idleClose;
    private final Map<Grant, Usage> live = new HashMap<>();
    private Function<InetAddress, InetAddress> ownerOf = vip -> null;

    private IngressGrants(ActorContext<Command> context, ActorRef<DataplaneActor.Command> dataplane, Duration idleClose) {
        super(context);
        this.dataplane = dataplane;
        this.idleClose = idleClose;
    }

    /** {@code idleClose}: how long a grant may carry nothing while another of its pair carries traffic (zero: never closed for that). */
    public static Behavior<Command> create(ActorRef<DataplaneActor.Command> dataplane, Duration idleClose) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            if (!idleClose.isZero()) {
                timers.startTimerWithFixedDelay(new Sweep(), idleClose.dividedBy(2));
            }
            return new IngressGrants(ctx, dataplane, idleClose);
        }));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Granted.class, this::onGranted)
                .onMessage(PeerGone.class, m -> {
                    List<Grant> gone = closeWhere(g -> m.physical().equals(live.get(g).owner));
                    if (!gone.isEmpty()) {
                        getContext().getLog().info("peer {} is gone: closed the {} ingress ACL(s) granted to it",
                                m.physical().getHostAddress(), gone.size());
                    }
                    return this;
                })
                .onMessage(Revoke.class, m -> {
                    closeWhere(m.grant()::equals);
                    return this;
                })
                .onMessage(KeyRetired.class, m -> {
                    List<Grant> retired = closeWhere(g -> (g.spi() >>> 31) == m.keyIndex());
                    getContext().getLog().info("master key {} retired: closed the {} ingress ACL(s) granted under it",
                            m.keyIndex(), retired.size());
                    return this;
                })
                .onMessage(Owners.class, m -> {
                    ownerOf = m.ownerOf();
                    return this;
                })
                .onMessage(GetCount.class, m -> {
                    m.replyTo().tell(live.size());
                    return this;
                })
                .onMessage(GetGrants.class, m -> {
                    m.replyTo().tell(List.copyOf(live.keySet()));
                    return this;
                })
                .onMessage(Sweep.class, m -> onSweep())
                .onMessage(Counted.class, m -> onCounted(m.counted()))
                .build();
    }

    private Behavior<Command> onGranted(Granted m) {
        long now = System.nanoTime();
        for (Grant g : m.grants()) {
            live.put(g, new Usage(ownerOf.apply(g.source()), now));
        }
        return this;
    }

    /** Closes the live grants {@code which} selects; returns them. */
    private List<Grant> closeWhere(Predicate<Grant> which) {
        List<Grant> closed = new ArrayList<>();
        live.keySet().removeIf(g -> {
            boolean match = which.test(g);
            if (match) {
                closed.add(g);
            }
            return match;
        });
        if (!closed.isEmpty()) {
            dataplane.tell(new DataplaneActor.CloseAcls(closed.stream().map(Grant::spi).toList(),
                    closed.stream().map(g -> new DataplaneActor.AclPair(g.source(), g.destination())).toList()));
        }
        return closed;
    }

    /** The VIP pair a grant lets in. */
    private static DataplaneActor.AclPair pairOf(Grant g) {
        return new DataplaneActor.AclPair(g.source(), g.destination());
    }

    /** Reads the packet counts of the grants of every pair that has more than one. */
    private Behavior<Command> onSweep() {
        Map<DataplaneActor.AclPair, List<Grant>> byPair = live.keySet().stream().collect(Collectors.groupingBy(IngressGrants::pairOf));
        List<Grant> shared = byPair.values().stream().filter(grants -> grants.size() > 1).flatMap(List::stream).toList();
        if (!shared.isEmpty()) {
            dataplane.tell(new DataplaneActor.CountAclPackets(shared,
                    getContext().messageAdapter(DataplaneActor.AclPackets.class, Counted::new)));
        }
        return this;
    }

    private Behavior<Command> onCounted(DataplaneActor.AclPackets counted) {
        long now = System.nanoTime();
        Map<DataplaneActor.AclPair, List<Grant>> byPair = new HashMap<>();
        for (int i = 0; i < counted.grants().size(); i++) {
            Grant g = counted.grants().get(i);
            Usage u = live.get(g);
            if (u == null) {
                continue;
            }
            long packets = counted.packets()[i];
            u.grewThisSweep = packets > u.packets;
            if (u.grewThisSweep) {
                u.packets = packets;
                u.activeAtNanos = now;
            }
            byPair.computeIfAbsent(pairOf(g), p -> new ArrayList<>()).add(g);
        }
        Set<Grant> idle = new HashSet<>();
        for (List<Grant> grants : byPair.values()) {
            boolean pairCarriesTraffic = grants.stream().anyMatch(g -> live.get(g).grewThisSweep);
            if (pairCarriesTraffic) {
                grants.stream().filter(g -> now - live.get(g).activeAtNanos >= idleClose.toNanos()).forEach(idle::add);
            }
        }
        if (!idle.isEmpty()) {
            closeWhere(idle::contains);
            getContext().getLog().info("closed {} ingress ACL(s) idle for {} ms while their VIP pair's traffic used another SPI",
                    idle.size(), idleClose.toMillis());
        }
        return this;
    }
}
