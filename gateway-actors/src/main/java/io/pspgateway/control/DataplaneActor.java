package io.pspgateway.control;

import io.pspgateway.dataplane.DataplaneCounters;
import io.pspgateway.dataplane.DataplaneException;
import io.pspgateway.dataplane.DataplaneOps;
import io.pspgateway.dataplane.EncryptEntry;
import io.pspgateway.dataplane.FlowKey;
import io.pspgateway.dataplane.HeldPacket;
import io.pspgateway.dataplane.SpiKey;
import io.pspgateway.psp.PspVersion;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The only writer to the data plane: every mint, key slot, entry and ACL change goes through
 * this actor's mailbox, one at a time, so the backend sees a single control thread as
 * {@link DataplaneOps} requires. Requests that carry many tunnels are carried out as one batch.
 *
 * <p>Supervision: a backend exception other than {@link DataplaneException} is a bug; the actor is
 * restarted (its state is the backend's, which survives) and the request that failed is answered
 * by its caller's timeout. Entries stay owned by their sessions.
 */
public final class DataplaneActor extends AbstractBehavior<DataplaneActor.Command> {

    public sealed interface Command {
    }

    /** One (source VIP, destination VIP) pair to open the ingress ACL for. */
    public record AclPair(java.net.InetAddress source, java.net.InetAddress destination) {
    }

    /** Mints one SPI per pair and opens the ACL for each: what a tunnel request needs, all or nothing. */
    public record MintAndOpen(List<AclPair> pairs, PspVersion version, ActorRef<Minted> replyTo) implements Command {
    }

    /** The SPIs and keys minted, in request order; or why not. */
    public record Minted(List<SpiKey> keys, DataplaneException failure) {
    }

    /** Closes ACL entries (their SPIs are no longer held by anyone). */
    public record CloseAcls(List<Integer> spis, List<AclPair> pairs) implements Command {
    }

    /** Programs slot {@code cryptoId} with {@code key} and adds {@code entry}, which uses it. */
    public record Install(int cryptoId, byte[] key, EncryptEntry entry, ActorRef<Installed> replyTo) implements Command {
    }

    /** The entry of {@code flow} is live, or why not. */
    public record Installed(FlowKey flow, DataplaneException failure) {
    }

    /** Removes the entry of {@code flow} and wipes its slot. */
    public record Uninstall(FlowKey flow, int cryptoId) implements Command {
    }

    /** Wipes a slot whose owner is gone (the pool's safety net). */
    public record WipeSlot(int cryptoId) implements Command {
    }

    /** Sends held packets through egress again, in this order. */
    public record Reinject(List<HeldPacket> packets) implements Command {
    }

    /** Rotates the master keys. */
    public record Rotate(ActorRef<Long> replyTo) implements Command {
    }

    public record GetCounters(ActorRef<DataplaneCounters> replyTo) implements Command {
    }

    private final DataplaneOps ops;
    private final PerfCounters perf;

    private DataplaneActor(ActorContext<Command> context, DataplaneOps ops, PerfCounters perf) {
        super(context);
        this.ops = ops;
        this.perf = perf;
    }

    public static Behavior<Command> create(DataplaneOps ops, PerfCounters perf) {
        return Behaviors.supervise(Behaviors.<Command>setup(ctx -> new DataplaneActor(ctx, ops, perf)))
                .onFailure(RuntimeException.class, org.apache.pekko.actor.typed.SupervisorStrategy.restart());
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(MintAndOpen.class, this::onMintAndOpen)
                .onMessage(CloseAcls.class, this::onCloseAcls)
                .onMessage(Install.class, this::onInstall)
                .onMessage(Uninstall.class, this::onUninstall)
                .onMessage(WipeSlot.class, m -> {
                    ops.wipeKeySlot(m.cryptoId());
                    return this;
                })
                .onMessage(Reinject.class, this::onReinject)
                .onMessage(Rotate.class, m -> {
                    m.replyTo().tell(ops.rotateMasterKey());
                    return this;
                })
                .onMessage(GetCounters.class, m -> {
                    m.replyTo().tell(ops.counters());
                    return this;
                })
                .build();
    }

    private Behavior<Command> onMintAndOpen(MintAndOpen m) {
        long t0 = System.nanoTime();
        List<SpiKey> keys;
        try {
            keys = ops.mintSpiKeys(m.pairs().size(), m.version());
        } catch (DataplaneException e) {
            m.replyTo().tell(new Minted(List.of(), e));
            return this;
        }
        perf.keysGenerated(keys.size(), System.nanoTime() - t0);
        List<Integer> opened = new ArrayList<>();
        try {
            for (int i = 0; i < keys.size(); i++) {
                AclPair p = m.pairs().get(i);
                ops.addIngressAcl(keys.get(i).spi(), p.source(), p.destination());
                opened.add(i);
            }
        } catch (DataplaneException e) {
            for (int i : opened) {
                AclPair p = m.pairs().get(i);
                ops.removeIngressAcl(keys.get(i).spi(), p.source(), p.destination());
            }
            keys.forEach(SpiKey::destroy);
            m.replyTo().tell(new Minted(List.of(), e));
            return this;
        }
        m.replyTo().tell(new Minted(keys, null));
        return this;
    }

    private Behavior<Command> onCloseAcls(CloseAcls m) {
        for (int i = 0; i < m.spis().size(); i++) {
            ops.removeIngressAcl(m.spis().get(i), m.pairs().get(i).source(), m.pairs().get(i).destination());
        }
        return this;
    }

    private Behavior<Command> onInstall(Install m) {
        long t0 = System.nanoTime();
        try {
            ops.programKeySlot(m.cryptoId(), m.entry().version(), m.key());
            ops.addEncryptEntry(m.entry());
        } catch (DataplaneException e) {
            ops.wipeKeySlot(m.cryptoId());
            m.replyTo().tell(new Installed(m.entry().flow(), e));
            return this;
        } finally {
            java.util.Arrays.fill(m.key(), (byte) 0);
        }
        perf.entriesAdded(1, System.nanoTime() - t0);
        m.replyTo().tell(new Installed(m.entry().flow(), null));
        return this;
    }

    private Behavior<Command> onUninstall(Uninstall m) {
        ops.removeEncryptEntry(m.flow());
        ops.wipeKeySlot(m.cryptoId());
        return this;
    }

    private Behavior<Command> onReinject(Reinject m) {
        for (HeldPacket p : m.packets()) {
            ops.reinject(p);
        }
        return this;
    }
}
