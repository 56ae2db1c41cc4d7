package io.pspgateway.control;

import java.util.ArrayList;
import java.util.BitSet;
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
 * Owner of the crypto slots ({@code crypto_id}s): hands free slots to a session (as many as its
 * batch of tunnels needs, in one message), takes each back when it is released, and watches every
 * holder so that a session that dies without releasing (a crash) still gives its slots back,
 * wiped. No slot is ever held by two owners; {@code --max-tunnels} bounds how many exist.
 *
 * <p>Slots programmed with a peer's reverse_params are held on that peer's behalf, whoever owns
 * them (the adopting session, then {@link Tunnels}): at most {@code reverse-slots-per-peer} of
 * them ({@link PeerLimits}), so that no peer can take the slots our own hosts' traffic and the
 * other peers need. What a peer's share cannot hold is refused and counted under its name.
 *
 * <p>One actor for all slots rather than one per slot: a slot has no behaviour of its own beyond
 * "owned by this session", which a watched map expresses with no extra actors.
 */
public final class CryptoSlotPool extends AbstractBehavior<CryptoSlotPool.Command> {

    public sealed interface Command {
    }

    /**
     * Asks for {@code count} slots for {@code owner}, on behalf of the peer {@code behalfOf} (a
     * principal's name: its reverse_params) or of our own hosts' traffic (null).
     */
    public record Allocate(ActorRef<?> owner, int count, String behalfOf, ActorRef<Granted> replyTo) implements Command {
    }

    /**
     * The slots granted: fewer than asked for (none at all) when all {@code --max-tunnels} slots are
     * in use or the peer's share is full, {@code shortBecause} saying which (null when all were granted).
     */
    public record Granted(List<Integer> cryptoIds, String shortBecause) {
    }

    /** Gives a slot back; its owner has already had it wiped. */
    public record Release(int cryptoId) implements Command {
    }

    /** These slots belong to {@code newOwner} from now on (a session handing its tunnels over). */
    public record Transfer(List<Integer> cryptoIds, ActorRef<?> newOwner) implements Command {
    }

    public record GetInUse(ActorRef<Integer> replyTo) implements Command {
    }

    private record OwnerStopped(ActorRef<?> owner) implements Command {
    }

    private final int size;
    private final BitSet used;
    /** The owner of each slot, null when free: an array rather than a map, some bytes per slot. */
    private final ActorRef<?>[] owners;
    /** The peer each slot is held on behalf of, null for our own traffic's (or a free slot). */
    private final String[] behalfOf;
    /** How many slots each peer's reverse_params hold. */
    private final Map<String, Integer> heldFor = new HashMap<>();
    private final int sharePerPeer;
    private final GatewayStats stats;
    /** How many slots each owner holds; an owner is watched while it holds any. */
    private final Map<ActorRef<?>, Integer> heldBy = new HashMap<>();
    private final ActorRef<DataplaneActor.Command> dataplane;

    private CryptoSlotPool(ActorContext<Command> context, int size, int sharePerPeer, ActorRef<DataplaneActor.Command> dataplane,
                           GatewayStats stats) {
        super(context);
        this.size = size;
        this.used = new BitSet(size);
        this.owners = new ActorRef<?>[size];
        this.behalfOf = new String[size];
        this.sharePerPeer = sharePerPeer;
        this.dataplane = dataplane;
        this.stats = stats;
    }

    /**
     * Supervision: resume. The pool's state is which slot is whose; a restart would forget it (slots
     * granted but unknown, owners unwatched) and stopping would leave the gateway without slots. A
     * failure while handling one message leaves that request unanswered (its session times out).
     */
    public static Behavior<Command> create(int size, int sharePerPeer, ActorRef<DataplaneActor.Command> dataplane, GatewayStats stats,
                                           ActorDecorator decorator) {
        return Behaviors.supervise(decorator.decorate(CryptoSlotPool.class,
                        Behaviors.<Command>setup(ctx -> new CryptoSlotPool(ctx, size, sharePerPeer, dataplane, stats))))
                .onFailure(RuntimeException.class, org.apache.pekko.actor.typed.SupervisorStrategy.resume());
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Allocate.class, this::onAllocate)
                .onMessage(Release.class, m -> {
                    free(m.cryptoId());
                    return this;
                })
                .onMessage(OwnerStopped.class, this::onOwnerStopped)
                .onMessage(Transfer.class, m -> {
                    for (int id : m.cryptoIds()) {
                        if (id >= 0 && id < size && owners[id] != null) {
                            String peer = behalfOf[id];
                            free(id);
                            take(id, m.newOwner(), peer);
                        }
                    }
                    return this;
                })
                .onMessage(GetInUse.class, m -> {
                    m.replyTo().tell(used.cardinality());
                    return this;
                })
                .build();
    }

    private Behavior<Command> onAllocate(Allocate m) {
        int wanted = m.count();
        String shortBecause = null;
        if (m.behalfOf() != null) {
            int room = Math.max(0, sharePerPeer - heldFor.getOrDefault(m.behalfOf(), 0));
            if (room < wanted) {
                stats.limited(m.behalfOf(), PeerLimits.Limit.REVERSE_SLOTS, wanted - room);
                shortBecause = "the reverse_params of " + m.behalfOf() + " hold its share of the crypto slots, " + sharePerPeer
                        + " (pspgw.peer-limits.reverse-slots-per-peer)";
                wanted = room;
            }
        }
        List<Integer> granted = new ArrayList<>(wanted);
        for (int id = used.nextClearBit(0); id < size && granted.size() < wanted; id = used.nextClearBit(id + 1)) {
            take(id, m.owner(), m.behalfOf());
            granted.add(id);
        }
        if (granted.size() < wanted) {
            shortBecause = "all crypto slots are in use (--max-tunnels)";
        }
        m.replyTo().tell(new Granted(granted, shortBecause));
        return this;
    }

    private void take(int id, ActorRef<?> owner, String peer) {
        used.set(id);
        owners[id] = owner;
        behalfOf[id] = peer;
        if (peer != null) {
            heldFor.merge(peer, 1, Integer::sum);
        }
        if (heldBy.merge(owner, 1, Integer::sum) == 1) {
            getContext().watchWith(owner, new OwnerStopped(owner));
        }
    }

    private Behavior<Command> onOwnerStopped(OwnerStopped m) {
        if (heldBy.containsKey(m.owner())) {
            // the owner died holding slots: wipe them here, since nobody else will (a scan of every
            // slot, but owners die holding slots only when they crash)
            for (int id = used.nextSetBit(0); id >= 0; id = used.nextSetBit(id + 1)) {
                if (m.owner().equals(owners[id])) {
                    dataplane.tell(new DataplaneActor.WipeSlot(id));
                    free(id);
                }
            }
        }
        return this;
    }

    private void free(int id) {
        if (id < 0 || id >= size) {
            return;
        }
        ActorRef<?> owner = owners[id];
        if (owner != null) {
            owners[id] = null;
            String peer = behalfOf[id];
            if (peer != null) {
                behalfOf[id] = null;
                heldFor.merge(peer, -1, (a, b) -> a + b == 0 ? null : a + b);
            }
            if (heldBy.merge(owner, -1, Integer::sum) == 0) {
                heldBy.remove(owner);
                getContext().unwatch(owner);
            }
        }
        used.clear(id);
    }
}
