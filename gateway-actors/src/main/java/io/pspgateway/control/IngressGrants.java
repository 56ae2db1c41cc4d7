package io.pspgateway.control;

import io.pspgateway.dataplane.DataplaneException;
import io.pspgateway.dataplane.FlowKey;
import io.pspgateway.psp.IpText;
import io.pspgateway.psp.PspVersion;
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
 *
 * <p>Every ACL opens through here ({@link Open}), so that the limits of {@link PeerLimits} are
 * kept before anything is minted: the grants one peer holds ({@code grants-per-peer}; our own
 * set-ups' reverse parameters are bounded by our slots instead) and all ACLs together
 * ({@code ingress-acls}). A request is counted from the moment it is let through until the
 * Dataplane actor reports what it opened ({@link Granted}), so requests in flight cannot overshoot.
 */
public final class IngressGrants extends AbstractBehavior<IngressGrants.Command> {

    public sealed interface Command {
    }

    /** ACLs the TunnelService opened: SPI {@code spi} may carry {@code source} to {@code destination}. */
    public record Grant(int spi, InetAddress source, InetAddress destination) {
    }

    /**
     * Mint an SPI for each pair and open its ACL, for {@code peer} (a principal's name; null for our
     * own set-ups), unless that would take the peer or the gateway past its limits: then the reply
     * is a RESOURCE_EXHAUSTED failure and nothing is minted.
     */
    public record Open(String peer, List<DataplaneActor.AclPair> pairs, PspVersion version,
                       ActorRef<DataplaneActor.Minted> replyTo) implements Command {
    }

    /** From the Dataplane actor: of the {@code asked} ACLs opened for {@code peer}, these are open (none if it failed). */
    public record Granted(String peer, int asked, List<Grant> grants) implements Command {
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

    /**
     * A live grant: what it has carried, as last read, and when that last grew (or the grant was
     * made); and the next live grant of the same VIP pair, if any.
     */
    private static final class Usage {
        final Grant grant;
        final InetAddress owner;
        /** Whose limit it counts against: a principal's name, or null for our own set-ups. */
        final String peer;
        long packets;
        /** The sweep at which it was granted or last carried traffic. */
        long activeAtSweep;
        boolean grewThisSweep;
        Usage next;

        Usage(Grant grant, InetAddress owner, String peer, long sweep) {
            this.grant = grant;
            this.owner = owner;
            this.peer = peer;
            this.activeAtSweep = sweep;
        }
    }

    private final ActorRef<DataplaneActor.Command> dataplane;
    private final Duration idleClose;
    private final PeerLimits limits;
    private final GatewayStats stats;
    /** Grants live or being opened, in all and by peer (our own set-ups' under no name). */
    private int held;
    private final Map<String, Integer> heldBy = new HashMap<>();
    /**
     * The live grants by the VIP pair they let in: one per pair mostly, a chain of several while a
     * sender moves to another SPI — so that a sweep finds the shared pairs without regrouping them all.
     */
    private final Map<FlowKey, Usage> live = new HashMap<>();
    private int liveCount;
    /**
     * Sweeps so far, every half {@code idleClose}: the clock of idleness (a Pekko timer, so that
     * tests move it with manual time). A grant inactive for {@link #IDLE_SWEEPS} sweeps has carried
     * nothing for at least {@code idleClose}.
     */
    private long sweeps;
    private static final int IDLE_SWEEPS = 3;
    private Function<InetAddress, InetAddress> ownerOf = vip -> null;

    private IngressGrants(ActorContext<Command> context, ActorRef<DataplaneActor.Command> dataplane, Duration idleClose,
                          PeerLimits limits, GatewayStats stats) {
        super(context);
        this.dataplane = dataplane;
        this.idleClose = idleClose;
        this.limits = limits;
        this.stats = stats;
    }

    /**
     * {@code idleClose}: how long a grant may carry nothing while another of its pair carries
     * traffic (zero: never closed for that); {@code limits}: resolved ones; refusals are counted in {@code stats}.
     */
    public static Behavior<Command> create(ActorRef<DataplaneActor.Command> dataplane, Duration idleClose, PeerLimits limits,
                                           GatewayStats stats) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            if (!idleClose.isZero()) {
                timers.startTimerWithFixedDelay(new Sweep(), idleClose.dividedBy(2));
            }
            return new IngressGrants(ctx, dataplane, idleClose, limits, stats);
        }));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Open.class, this::onOpen)
                .onMessage(Granted.class, this::onGranted)
                .onMessage(PeerGone.class, m -> {
                    List<Grant> gone = closeWhere(u -> m.physical().equals(u.owner));
                    if (!gone.isEmpty()) {
                        getContext().getLog().info("peer {} is gone: closed the {} ingress ACL(s) granted to it",
                                IpText.of(m.physical()), gone.size());
                    }
                    return this;
                })
                .onMessage(Revoke.class, m -> {
                    FlowKey pair = pairOf(m.grant());
                    if (closeWhere(pair, u -> u.grant.equals(m.grant()), new ArrayList<>())) {
                        close(List.of(m.grant()));
                    }
                    return this;
                })
                .onMessage(KeyRetired.class, m -> {
                    List<Grant> retired = closeWhere(u -> (u.grant.spi() >>> 31) == m.keyIndex());
                    getContext().getLog().info("master key {} retired: closed the {} ingress ACL(s) granted under it",
                            m.keyIndex(), retired.size());
                    return this;
                })
                .onMessage(Owners.class, m -> {
                    ownerOf = m.ownerOf();
                    return this;
                })
                .onMessage(GetCount.class, m -> {
                    m.replyTo().tell(liveCount);
                    return this;
                })
                .onMessage(GetGrants.class, m -> {
                    List<Grant> all = new ArrayList<>(liveCount);
                    live.values().forEach(head -> chain(head, all));
                    m.replyTo().tell(all);
                    return this;
                })
                .onMessage(Sweep.class, m -> onSweep())
                .onMessage(Counted.class, m -> onCounted(m.counted()))
                .build();
    }

    private Behavior<Command> onOpen(Open m) {
        int n = m.pairs().size();
        String refused = null;
        if (m.peer() != null && heldBy.getOrDefault(m.peer(), 0) + (long) n > limits.grantsPerPeer()) {
            stats.limited(m.peer(), PeerLimits.Limit.GRANTS, 1);
            refused = m.peer() + " holds " + heldBy.getOrDefault(m.peer(), 0) + " ingress grant(s); " + n + " more would pass its "
                    + limits.grantsPerPeer() + " (pspgw.peer-limits.grants-per-peer)";
        } else if (held + (long) n > limits.ingressAcls()) {
            if (m.peer() != null) {
                stats.limited(m.peer(), PeerLimits.Limit.INGRESS_ACLS, 1);
            }
            refused = held + " ingress ACL(s) are open; " + n + " more would pass the gateway's " + limits.ingressAcls()
                    + " (pspgw.peer-limits.ingress-acls)";
        }
        if (refused != null) {
            getContext().getLog().debug("refused to open {} ingress ACL(s): {}", n, refused);
            m.replyTo().tell(new DataplaneActor.Minted(List.of(),
                    new DataplaneException(DataplaneException.Kind.RESOURCE_EXHAUSTED, refused)));
            return this;
        }
        hold(m.peer(), n);
        dataplane.tell(new DataplaneActor.MintAndOpen(m.peer(), m.pairs(), m.version(), getContext().getSelf(), m.replyTo()));
        return this;
    }

    private Behavior<Command> onGranted(Granted m) {
        hold(m.peer(), m.grants().size() - m.asked()); // what failed to open is held no more
        for (Grant g : m.grants()) {
            Usage u = new Usage(g, ownerOf.apply(g.source()), m.peer(), sweeps);
            u.next = live.put(pairOf(g), u);
            liveCount++;
        }
        return this;
    }

    /** Counts {@code n} more (or, negative, fewer) grants held by {@code peer}. */
    private void hold(String peer, int n) {
        held += n;
        if (peer != null) {
            heldBy.merge(peer, n, (a, b) -> a + b == 0 ? null : a + b);
        }
    }

    /** Closes the live grants {@code which} selects; returns them. */
    private List<Grant> closeWhere(Predicate<Usage> which) {
        List<Grant> closed = new ArrayList<>();
        for (FlowKey pair : List.copyOf(live.keySet())) {
            closeWhere(pair, which, closed);
        }
        if (!closed.isEmpty()) {
            close(closed);
        }
        return closed;
    }

    /** Takes the grants of {@code pair} that {@code which} selects out of the live ones, into {@code closed}; whether any was. */
    private boolean closeWhere(FlowKey pair, Predicate<Usage> which, List<Grant> closed) {
        Usage kept = null;
        Usage tail = null;
        boolean any = false;
        for (Usage u = live.get(pair); u != null; u = u.next) {
            if (which.test(u)) {
                closed.add(u.grant);
                liveCount--;
                hold(u.peer, -1);
                any = true;
            } else if (tail == null) {
                kept = tail = u;
            } else {
                tail.next = u;
                tail = u;
            }
        }
        if (!any) {
            return false;
        }
        if (tail == null) {
            live.remove(pair);
        } else {
            tail.next = null;
            live.put(pair, kept);
        }
        return true;
    }

    /** Closes the ACLs of grants no longer live. */
    private void close(List<Grant> closed) {
        dataplane.tell(new DataplaneActor.CloseAcls(closed.stream().map(Grant::spi).toList(),
                closed.stream().map(g -> new DataplaneActor.AclPair(g.source(), g.destination())).toList()));
    }

    /**
     * The VIP pair a grant lets in, as a key with a well-mixed hash: VIPs are often consecutive
     * addresses, on which a record of two addresses collides (31 * a + b).
     */
    private static FlowKey pairOf(Grant g) {
        return FlowKey.of(g.source(), g.destination());
    }

    private static void chain(Usage head, List<Grant> into) {
        for (Usage u = head; u != null; u = u.next) {
            into.add(u.grant);
        }
    }

    /** Reads the packet counts of the grants of every pair that has more than one. */
    private Behavior<Command> onSweep() {
        sweeps++;
        List<Grant> shared = new ArrayList<>();
        for (Usage head : live.values()) {
            if (head.next != null) {
                chain(head, shared);
            }
        }
        if (!shared.isEmpty()) {
            dataplane.tell(new DataplaneActor.CountAclPackets(shared,
                    getContext().messageAdapter(DataplaneActor.AclPackets.class, Counted::new)));
        }
        return this;
    }

    private Behavior<Command> onCounted(DataplaneActor.AclPackets counted) {
        // each pair's chain is walked once, however long a peer made it (a request may name one pair
        // thousands of times): a lookup per counted grant along the chain would be quadratic
        Map<Grant, Usage> usageOf = new HashMap<>();
        Set<FlowKey> walked = new HashSet<>();
        for (Grant g : counted.grants()) {
            FlowKey pair = pairOf(g);
            if (walked.add(pair)) {
                for (Usage u = live.get(pair); u != null; u = u.next) {
                    usageOf.put(u.grant, u);
                }
            }
        }
        Map<FlowKey, Set<Usage>> countedByPair = new HashMap<>();
        for (int i = 0; i < counted.grants().size(); i++) {
            Grant g = counted.grants().get(i);
            Usage u = usageOf.get(g);
            if (u == null) {
                continue;
            }
            long packets = counted.packets()[i];
            u.grewThisSweep = packets > u.packets;
            if (u.grewThisSweep) {
                u.packets = packets;
                u.activeAtSweep = sweeps;
            }
            countedByPair.computeIfAbsent(pairOf(g), p -> new HashSet<>()).add(u);
        }
        List<Grant> idle = new ArrayList<>();
        countedByPair.forEach((pair, usages) -> {
            boolean pairCarriesTraffic = usages.stream().anyMatch(u -> u.grewThisSweep);
            if (pairCarriesTraffic) {
                closeWhere(pair, u -> usages.contains(u) && sweeps - u.activeAtSweep >= IDLE_SWEEPS, idle);
            }
        });
        if (!idle.isEmpty()) {
            close(idle);
            getContext().getLog().info("closed {} ingress ACL(s) idle for {} ms while their VIP pair's traffic used another SPI",
                    idle.size(), idleClose.toMillis());
        }
        return this;
    }
}
