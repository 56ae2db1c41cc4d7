package io.pspgateway.control;

import io.pspgateway.dataplane.DataplaneException;
import io.pspgateway.dataplane.DataplaneOps;
import io.pspgateway.dataplane.EncryptEntry;
import io.pspgateway.dataplane.FlowKey;
import io.pspgateway.dataplane.HeldPacket;
import io.pspgateway.dataplane.SpiKey;
import io.pspgateway.psp.IpText;
import io.pspgateway.psp.PspVersion;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
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
 *
 * <p>Removals (entries, ACLs, key-slot wipes) must not be lost: a removal the backend refuses (a
 * busy device) is retried in place, so that nothing queued after it overtakes it, for up to
 * {@link #REMOVAL_PATIENCE}. The actor runs on a dispatcher of its own
 * ({@code pspgw.dataplane-dispatcher}), so a slow or busy device holds up nothing but the data
 * plane's own queue — not the sessions, not the cluster's heartbeats.
 */
public final class DataplaneActor extends AbstractBehavior<DataplaneActor.Command> {

    public sealed interface Command {
    }

    /** One (source VIP, destination VIP) pair to open the ingress ACL for. */
    public record AclPair(InetAddress source, InetAddress destination) {
    }

    /**
     * Mints one SPI per pair and opens the ACL for each: what a tunnel request needs, all or
     * nothing. Sent by {@link IngressGrants} only, which has counted them against {@code peer}'s
     * limits. The ACLs are handed to {@code owner} before the caller hears of them, so they have an
     * owner even when the caller is gone by the time the answer comes (timed out, stopped); the
     * owner hears of a failure too, to count the ACLs as held no more.
     */
    public record MintAndOpen(String peer, List<AclPair> pairs, PspVersion version, ActorRef<IngressGrants.Command> owner,
                              ActorRef<Minted> replyTo) implements Command {
    }

    /** The SPIs and keys minted, in request order; or why not. */
    public record Minted(List<SpiKey> keys, DataplaneException failure) {
    }

    /** Closes ACL entries (their SPIs are no longer held by anyone). */
    public record CloseAcls(List<Integer> spis, List<AclPair> pairs) implements Command {
    }

    /** How many packets each of these grants' ACLs has let in. */
    public record CountAclPackets(List<IngressGrants.Grant> grants, ActorRef<AclPackets> replyTo) implements Command {
    }

    /** Packets per grant, in the order asked (0 for an ACL that is gone). */
    public record AclPackets(List<IngressGrants.Grant> grants, long[] packets) {
    }

    /** Installs each of {@code entries}, one answer for all. */
    public record Install(List<Slotted> entries, ActorRef<Installed> replyTo) implements Command {
    }

    /** Program slot {@code cryptoId} with {@code key} (wiped once used) and add {@code entry}, which uses it. */
    public record Slotted(int cryptoId, byte[] key, EncryptEntry entry) {
    }

    /** What became of each entry of an {@link Install}, in its order. */
    public record Installed(List<InstallResult> results) {
    }

    /** The entry of {@code flow} is live, or why not (its slot wiped again). */
    public record InstallResult(FlowKey flow, DataplaneException failure) {
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

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** How long a refused removal is retried before the device is taken for broken. */
    static final Duration REMOVAL_PATIENCE = Duration.ofSeconds(2);

    /**
     * Where {@code -k/--debug-keys} prints key material, at debug level: every key the backend is
     * given passes through this actor, so this is the one place keys can be logged, and only here.
     */
    private static final org.slf4j.Logger KEYS = org.slf4j.LoggerFactory.getLogger("io.pspgateway.keys");

    private final DataplaneOps ops;
    private final PerfCounters perf;
    private final boolean debugKeys;

    private DataplaneActor(ActorContext<Command> context, DataplaneOps ops, PerfCounters perf, boolean debugKeys) {
        super(context);
        this.ops = ops;
        this.perf = perf;
        this.debugKeys = debugKeys;
    }

    /** {@code debugKeys}: {@code -k/--debug-keys}, keys printed at debug level; otherwise they are never printed. */
    public static Behavior<Command> create(DataplaneOps ops, PerfCounters perf, boolean debugKeys) {
        return Behaviors.supervise(Behaviors.<Command>setup(ctx -> new DataplaneActor(ctx, ops, perf, debugKeys)))
                .onFailure(RuntimeException.class, org.apache.pekko.actor.typed.SupervisorStrategy.restart());
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(MintAndOpen.class, this::onMintAndOpen)
                .onMessage(CloseAcls.class, this::onCloseAcls)
                .onMessage(CountAclPackets.class, m -> {
                    long[] packets = new long[m.grants().size()];
                    for (int i = 0; i < packets.length; i++) {
                        IngressGrants.Grant g = m.grants().get(i);
                        var counters = ops.ingressAclCounters(g.spi(), g.source(), g.destination());
                        packets[i] = counters == null ? 0 : counters.packets();
                    }
                    m.replyTo().tell(new AclPackets(m.grants(), packets));
                    return this;
                })
                .onMessage(Install.class, this::onInstall)
                .onMessage(Uninstall.class, this::onUninstall)
                .onMessage(WipeSlot.class, m -> {
                    removeSurely("wiping key slot " + m.cryptoId(), () -> ops.wipeKeySlot(m.cryptoId()));
                    return this;
                })
                .onMessage(Reinject.class, this::onReinject)
                .onMessage(Rotate.class, m -> {
                    m.replyTo().tell(ops.rotateMasterKey());
                    return this;
                })
                .build();
    }

    private Behavior<Command> onMintAndOpen(MintAndOpen m) {
        long t0 = System.nanoTime();
        List<SpiKey> keys;
        try {
            keys = ops.mintSpiKeys(m.pairs().size(), m.version());
        } catch (RuntimeException e) {
            m.owner().tell(new IngressGrants.Granted(m.peer(), m.pairs().size(), List.of()));
            if (!(e instanceof DataplaneException d)) {
                m.replyTo().tell(new Minted(List.of(), new DataplaneException(DataplaneException.Kind.INTERNAL,
                        "the data plane failed minting SPIs: " + e)));
                throw e;
            }
            m.replyTo().tell(new Minted(List.of(), d));
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
        } catch (RuntimeException e) {
            // all or nothing, whatever the backend threw: an ACL opened here and not handed to the
            // caller would have no owner to close it (chaos found exactly that under backend bugs)
            m.owner().tell(new IngressGrants.Granted(m.peer(), m.pairs().size(), List.of()));
            for (int i : opened) {
                AclPair p = m.pairs().get(i);
                removeSurely("closing an ACL", () -> ops.removeIngressAcl(keys.get(i).spi(), p.source(), p.destination()));
            }
            keys.forEach(SpiKey::destroy);
            DataplaneException reported = e instanceof DataplaneException d ? d
                    : new DataplaneException(DataplaneException.Kind.INTERNAL, "the data plane failed opening an ACL: " + e);
            m.replyTo().tell(new Minted(List.of(), reported));
            if (reported != e) {
                throw e;
            }
            return this;
        }
        List<IngressGrants.Grant> granted = new ArrayList<>(keys.size());
        for (int i = 0; i < keys.size(); i++) {
            granted.add(new IngressGrants.Grant(keys.get(i).spi(), m.pairs().get(i).source(), m.pairs().get(i).destination()));
        }
        m.owner().tell(new IngressGrants.Granted(m.peer(), m.pairs().size(), granted));
        if (debugKeys && KEYS.isDebugEnabled()) {
            for (int i = 0; i < keys.size(); i++) {
                byte[] key = keys.get(i).key();
                KEYS.debug("minted SPI {} for {} -> {}: key {}", String.format("%08x", keys.get(i).spi()),
                        IpText.of(m.pairs().get(i).source()), IpText.of(m.pairs().get(i).destination()), HexFormat.of().formatHex(key));
                Arrays.fill(key, (byte) 0);
            }
        }
        m.replyTo().tell(new Minted(keys, null));
        return this;
    }

    private Behavior<Command> onCloseAcls(CloseAcls m) {
        for (int i = 0; i < m.spis().size(); i++) {
            int spi = m.spis().get(i);
            AclPair p = m.pairs().get(i);
            removeSurely("closing the ACL of SPI " + Integer.toHexString(spi), () -> ops.removeIngressAcl(spi, p.source(), p.destination()));
        }
        return this;
    }

    private Behavior<Command> onInstall(Install m) {
        List<InstallResult> results = new ArrayList<>(m.entries().size());
        try {
            long cpu0 = THREADS.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            int added = 0;
            for (Slotted s : m.entries()) {
                DataplaneException failure = install(s);
                added += failure == null ? 1 : 0;
                results.add(new InstallResult(s.entry().flow(), failure));
            }
            perf.entriesAdded(added, System.nanoTime() - t0, THREADS.getCurrentThreadCpuTime() - cpu0);
        } finally {
            // a bug halfway leaves no key behind in the message
            m.entries().forEach(s -> Arrays.fill(s.key(), (byte) 0));
        }
        m.replyTo().tell(new Installed(results));
        return this;
    }

    private DataplaneException install(Slotted s) {
        try {
            ops.programKeySlot(s.cryptoId(), s.entry().version(), s.key());
            if (debugKeys && KEYS.isDebugEnabled()) {
                KEYS.debug("slot {} sends {} -> {} with SPI {}: key {}", s.cryptoId(), IpText.of(s.entry().sourceVip()),
                        IpText.of(s.entry().destinationVip()), String.format("%08x", s.entry().spi()),
                        HexFormat.of().formatHex(s.key()));
            }
            ops.addEncryptEntry(s.entry());
            return null;
        } catch (DataplaneException e) {
            removeSurely("wiping key slot " + s.cryptoId(), () -> ops.wipeKeySlot(s.cryptoId()));
            return e;
        }
    }

    private Behavior<Command> onUninstall(Uninstall m) {
        removeSurely("removing the entry of " + m.flow(), () -> ops.removeEncryptEntry(m.flow()));
        removeSurely("wiping key slot " + m.cryptoId(), () -> ops.wipeKeySlot(m.cryptoId()));
        return this;
    }

    /**
     * Carries {@code removal} out, retrying in place while the backend refuses it (backing off
     * from 1 to 50 ms) for up to {@link #REMOVAL_PATIENCE}; then the device is taken for broken:
     * the refusal is logged with what stays behind and thrown to the supervisor.
     */
    private void removeSurely(String what, Runnable removal) {
        long deadline = System.nanoTime() + REMOVAL_PATIENCE.toNanos();
        long backoffMillis = 1;
        while (true) {
            try {
                removal.run();
                return;
            } catch (DataplaneException e) {
                if (System.nanoTime() > deadline) {
                    getContext().getLog().error("{}: refused by the data plane for {} ms ({}); it stays behind", what,
                            REMOVAL_PATIENCE.toMillis(), e.getMessage());
                    throw e;
                }
                getContext().getLog().debug("{}: refused ({}), retrying in {} ms", what, e.getMessage(), backoffMillis);
                try {
                    Thread.sleep(backoffMillis);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                backoffMillis = Math.min(backoffMillis * 2, 50);
            }
        }
    }

    private Behavior<Command> onReinject(Reinject m) {
        for (HeldPacket p : m.packets()) {
            ops.reinject(p);
        }
        return this;
    }
}
