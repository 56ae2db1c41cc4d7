package io.pspgateway.dataplane.soft;

import io.pspgateway.dataplane.ControlChecks;
import io.pspgateway.dataplane.DataplaneCounters;
import io.pspgateway.dataplane.DataplaneException;
import io.pspgateway.dataplane.DataplaneInspection;
import io.pspgateway.dataplane.DataplaneOps;
import io.pspgateway.dataplane.Destinations;
import io.pspgateway.dataplane.DropLog;
import io.pspgateway.dataplane.DropReason;
import io.pspgateway.dataplane.EncryptEntry;
import io.pspgateway.dataplane.EntryCounters;
import io.pspgateway.dataplane.FlowKey;
import io.pspgateway.dataplane.HeldPacket;
import io.pspgateway.dataplane.HoldReason;
import io.pspgateway.dataplane.MissQueue;
import io.pspgateway.dataplane.ReasonCounts;
import io.pspgateway.dataplane.SlowPathCounters;
import io.pspgateway.dataplane.SpiKey;
import io.pspgateway.dataplane.port.PacketPort;
import io.pspgateway.psp.Ip;
import io.pspgateway.psp.MasterKeyPair;
import io.pspgateway.psp.OpenStatus;
import io.pspgateway.psp.OuterIp;
import io.pspgateway.psp.PacketBuffer;
import io.pspgateway.psp.PspKeyDeriver;
import io.pspgateway.psp.PspMode;
import io.pspgateway.psp.PspVersion;
import io.pspgateway.psp.SealStatus;
import io.pspgateway.psp.TxSecurityAssociation;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The software data plane: DOCA's PSP gateway pipeline in Java, behind {@link DataplaneOps}.
 *
 * <pre>
 * host -> network:  parse inner -> egress ACL (VIP pair) --miss--> miss queue (slow path)
 *                                   | hit: key slot live? -> sample 1 in 2^N (S bit + copy) -> seal -> secure port
 * network -> host:  root (UDP/PSP) -> decrypt (key from SPI + master key) --fail--> syndrome counters
 *                                   | ok: S bit? copy to slow path; D bit? drop -> ingress ACL (SPI, VIPs) -> plain port
 * </pre>
 *
 * <h2>Locking rules</h2>
 * <ul>
 *   <li>Tables (encrypt entries, ingress ACL) are {@link ConcurrentHashMap}s: packet threads only
 *       {@code get}, with a probe key of their own, so a lookup takes no lock and allocates nothing.
 *       Only the control thread (the caller of the {@link DataplaneOps} methods) writes.</li>
 *   <li>Key slots are an {@link AtomicReferenceArray}: programming or wiping a slot is one atomic
 *       swap. An entry remembers the slot key it was built with; a packet whose entry's key is no
 *       longer in the slot is dropped ({@link DropReason#EGRESS_NO_KEY_SLOT}).</li>
 *   <li>Master keys are one volatile immutable generation; packet threads re-derive when it changes.</li>
 *   <li>Counters are {@link LongAdder}s and per-entry atomic fields; reading them is racy but never torn.</li>
 *   <li>The miss queue is a lock-free bounded MPSC queue; re-injection uses a context of its own
 *       under a lock that no packet thread ever takes.</li>
 * </ul>
 */
public final class SoftDataplane implements DataplaneOps, DataplaneInspection {
    private static final Logger log = LoggerFactory.getLogger(SoftDataplane.class);
    /** The most entries a table is sized for up front (beyond it, tables grow as needed). */
    private static final int MAX_PRESIZE = 1 << 20;

    private final SoftDataplaneSettings settings;
    private final MasterKeyRing ring;
    private final AtomicReferenceArray<SlotKey> slots;
    /**
     * Sized for one entry per key slot (up to {@link #MAX_PRESIZE}), as a device's tables are: a
     * table that grows doubles, copying every entry on the control thread, in the middle of a burst.
     */
    private final ConcurrentHashMap<FlowKey, EgressEntry> encryptTable;
    private final ConcurrentHashMap<FlowKey, FlowCounter> aclTable;
    private final MissQueue missQueue;
    /** Outer headers by (local, peer) physical address; control thread only. */
    private final java.util.Map<FlowKey, OuterIp> outerHeaders = new java.util.HashMap<>();
    private final int sampleMask;
    private final DropLog unservableMisses = new DropLog(log, java.time.Duration.ofSeconds(10));
    private final ReasonCounts<DropReason> drops = new ReasonCounts<>(DropReason.class);
    private final ReasonCounts<HoldReason> held = new ReasonCounts<>(HoldReason.class);
    private final LongAdder rxPackets = new LongAdder();
    private final LongAdder rxBytes = new LongAdder();
    private final LongAdder txPackets = new LongAdder();
    private final LongAdder txBytes = new LongAdder();

    private final PacketPort plainPort;
    private final PacketPort securePort;
    private final List<PacketWorker> workers = new ArrayList<>();
    private final Object reinjectLock = new Object();
    private final PacketContext reinjectContext;
    private final PacketBuffer[] reinjectBuffer;
    private MasterKeyRing.Generation mintGeneration;
    private PspKeyDeriver mintDeriver;
    private volatile boolean closed;

    /** A data plane between a plain and a secure port, with fresh random master keys. Call {@link #start()}. */
    public SoftDataplane(SoftDataplaneSettings settings, PacketPort plainPort, PacketPort securePort) {
        this(settings, plainPort, securePort, new MasterKeyRing());
    }

    /** As above with known initial master keys (key 0 active): for tests and reproducible setups. */
    public SoftDataplane(SoftDataplaneSettings settings, PacketPort plainPort, PacketPort securePort,
                         MasterKeyPair initialKeys) {
        this(settings, plainPort, securePort, new MasterKeyRing(initialKeys));
    }

    private SoftDataplane(SoftDataplaneSettings settings, PacketPort plainPort, PacketPort securePort, MasterKeyRing ring) {
        this.settings = settings;
        this.plainPort = plainPort;
        this.securePort = securePort;
        this.ring = ring;
        this.slots = new AtomicReferenceArray<>(settings.keySlots());
        int expected = Math.min(settings.keySlots(), MAX_PRESIZE);
        this.encryptTable = new ConcurrentHashMap<>(expected);
        this.aclTable = new ConcurrentHashMap<>(expected);
        this.missQueue = new MissQueue(settings.missQueueCapacity());
        this.sampleMask = settings.sampleLog2() == 0 ? 0 : (1 << settings.sampleLog2()) - 1;
        this.reinjectContext = newPacketContext();
        this.reinjectBuffer = new PacketBuffer[] {new PacketBuffer(settings.bufferSize())};
    }

    /** Starts the packet threads: {@code workers} per direction. */
    public synchronized void start() {
        if (!workers.isEmpty() || closed) {
            throw new IllegalStateException(closed ? "data plane is closed" : "data plane already started");
        }
        for (int i = 0; i < settings.workers(); i++) {
            workers.add(PacketWorker.egress(this, i));
            workers.add(PacketWorker.ingress(this, i));
        }
        workers.forEach(PacketWorker::start);
        log.info("soft data plane started: {} worker(s) per direction, plain {}, secure {}", settings.workers(),
                plainPort.name(), securePort.name());
    }

    SoftDataplaneSettings settings() {
        return settings;
    }

    PacketPort plainPort() {
        return plainPort;
    }

    PacketPort securePort() {
        return securePort;
    }

    boolean closed() {
        return closed;
    }

    /** A context for one packet thread (benchmarks and tests drive {@link #egress}/{@link #ingress} with it). */
    public PacketContext newPacketContext() {
        return new PacketContext(ring, settings.udpPort());
    }

    // ---------------------------------------------------------------- packet path

    /**
     * Host to network, for the inner IP packet in {@code pkt}. Returns true when {@code pkt} now
     * holds a PSP packet to send on the secure port; false when the packet was held for the slow
     * path or dropped (and counted).
     */
    public boolean egress(PacketContext ctx, PacketBuffer pkt) {
        byte[] b = pkt.array();
        int l3 = pkt.start();
        int ipHeader = innerHeaderLength(b, l3, pkt.length());
        if (ipHeader < 0) {
            return drop(DropReason.EGRESS_MALFORMED);
        }
        boolean ipv6 = Ip.version(b, l3) == 6;
        FlowKey probe = ctx.probe.setFromPacket(b, l3, ipv6, 0);
        EgressEntry entry = encryptTable.get(probe);
        if (entry == null) {
            DropReason unservable = (ipv6 ? 6 : 4) != settings.innerIpVersion() ? DropReason.MISS_OTHER_INNER_VERSION
                    : Destinations.untunnellable(b, l3, ipv6) ? DropReason.MISS_UNTUNNELLABLE_DESTINATION : null;
            if (unservable != null) {
                unservableMisses.record(unservable, probe);
                return drop(unservable);
            }
            hold(HoldReason.MISS, probe, pkt, DropReason.MISS_QUEUE_FULL);
            return false;
        }
        if (slots.get(entry.cryptoId) != entry.slotKey) {
            return drop(DropReason.EGRESS_NO_KEY_SLOT);
        }
        boolean sample = sampleMask != 0 && (++ctx.sampleCounter & sampleMask) == 0;
        if (sample) {
            hold(HoldReason.EGRESS_SAMPLE, probe, pkt, DropReason.SAMPLE_COPY_LOST);
        }
        int payload = entry.sa.mode() == PspMode.TUNNEL ? pkt.length() : pkt.length() - ipHeader;
        SealStatus status = ctx.sealer.seal(pkt, entry.sa, sample);
        if (status != SealStatus.SEALED) {
            return drop(DropReason.of(status));
        }
        entry.count(payload);
        txPackets.increment();
        txBytes.add(payload);
        return true;
    }

    /**
     * Network to host, for the PSP packet (outer IP header first) in {@code pkt}. Returns true when
     * {@code pkt} now holds the decrypted inner packet to deliver on the plain port.
     */
    public boolean ingress(PacketContext ctx, PacketBuffer pkt) {
        OpenStatus status = ctx.opener.open(pkt, ctx.rxKeys, ctx.info);
        if (status != OpenStatus.OPENED) {
            return drop(DropReason.of(status));
        }
        byte[] b = pkt.array();
        int l3 = pkt.start();
        int ipHeader = innerHeaderLength(b, l3, pkt.length());
        if (ipHeader < 0) {
            return drop(DropReason.INGRESS_BAD_INNER);
        }
        FlowKey probe = ctx.probe.setFromPacket(b, l3, Ip.version(b, l3) == 6, ctx.info.spi());
        if (ctx.info.sample()) {
            hold(HoldReason.INGRESS_SAMPLE, probe, pkt, DropReason.SAMPLE_COPY_LOST);
        }
        if (ctx.info.drop()) {
            return drop(DropReason.INGRESS_DROP_BIT);
        }
        int payload = ctx.info.payloadBytes();
        if (settings.ingressAcl()) {
            FlowCounter acl = aclTable.get(probe);
            if (acl == null) {
                return drop(DropReason.INGRESS_ACL_MISS);
            }
            acl.count(payload);
        }
        rxPackets.increment();
        rxBytes.add(payload);
        return true;
    }

    /** Header length of the inner IPv4/IPv6 packet at {@code l3}, or -1 when it is not one. */
    private static int innerHeaderLength(byte[] b, int l3, int len) {
        if (len >= Ip.IPV4_MIN_HEADER && Ip.version(b, l3) == 4) {
            int ihl = Ip.ipv4HeaderLength(b, l3);
            return ihl >= Ip.IPV4_MIN_HEADER && ihl <= len ? ihl : -1;
        }
        return len >= Ip.IPV6_HEADER && Ip.version(b, l3) == 6 ? Ip.IPV6_HEADER : -1;
    }

    private void hold(HoldReason reason, FlowKey probe, PacketBuffer pkt, DropReason whenFull) {
        if (missQueue.offer(new HeldPacket(reason, probe.copy(), pkt.toByteArray(), System.nanoTime()))) {
            held.increment(reason);
        } else {
            drops.increment(whenFull);
        }
    }

    private boolean drop(DropReason reason) {
        drops.increment(reason);
        return false;
    }

    /** Counts {@code n} packets dropped for {@code reason} (ports refusing packets). */
    void dropped(DropReason reason, int n) {
        drops.add(reason, n);
    }

    // ---------------------------------------------------------------- DataplaneOps

    @Override
    public List<SpiKey> mintSpiKeys(int count, PspVersion version) {
        ControlChecks.mintCount(count);
        if (ring.spisLeft() < count) {
            throw new DataplaneException(DataplaneException.Kind.RESOURCE_EXHAUSTED,
                    "the active master key has " + ring.spisLeft() + " SPIs left, asked for " + count + "; rotate the keys");
        }
        MasterKeyRing.Generation generation = ring.current();
        if (generation != mintGeneration) {
            mintGeneration = generation;
            if (mintDeriver != null) {
                mintDeriver.forget();
            }
            mintDeriver = new PspKeyDeriver(generation.keys());
        }
        List<SpiKey> minted = new ArrayList<>(count);
        byte[] key = new byte[version.keyBytes()];
        for (int i = 0; i < count; i++) {
            int spi = ring.nextSpi();
            mintDeriver.derive(spi, version, key, 0);
            minted.add(new SpiKey(spi, version, key));
        }
        java.util.Arrays.fill(key, (byte) 0);
        return minted;
    }

    @Override
    public void programKeySlot(int cryptoId, PspVersion version, byte[] key) {
        checkSlot(cryptoId);
        SlotKey slotKey;
        try {
            slotKey = new SlotKey(version, key);
        } catch (IllegalArgumentException e) {
            throw new DataplaneException(DataplaneException.Kind.INVALID_ARGUMENT, e.getMessage());
        }
        SlotKey old = slots.getAndSet(cryptoId, slotKey);
        if (old != null) {
            old.destroy();
        }
    }

    @Override
    public void wipeKeySlot(int cryptoId) {
        checkSlot(cryptoId);
        SlotKey old = slots.getAndSet(cryptoId, null);
        if (old != null) {
            old.destroy();
        }
    }

    /** The key slot {@code cryptoId} holds, or null (for the tests of key hygiene, in this package). */
    SlotKey keyIn(int cryptoId) {
        return slots.get(cryptoId);
    }

    private void checkSlot(int cryptoId) {
        ControlChecks.slot(cryptoId, slots.length());
    }

    @Override
    public int keySlotCount() {
        return slots.length();
    }

    @Override
    public int keySlotsInUse() {
        int n = 0;
        for (int i = 0; i < slots.length(); i++) {
            if (slots.get(i) != null) {
                n++;
            }
        }
        return n;
    }

    @Override
    public void addEncryptEntry(EncryptEntry entry) {
        checkSlot(entry.cryptoId());
        SlotKey slotKey = slots.get(entry.cryptoId());
        ControlChecks.slotServes(entry.cryptoId(), Optional.ofNullable(slotKey).map(SlotKey::version), entry.version());
        // one outer header per peer, shared by all its entries: it is the bulk of an entry otherwise
        OuterIp outer = outerHeaders.computeIfAbsent(FlowKey.of(entry.localOuter(), entry.peerOuter()),
                k -> OuterIp.between(entry.localOuter(), entry.peerOuter()));
        TxSecurityAssociation sa = new TxSecurityAssociation(entry.spi(), entry.version(), slotKey.key(), slotKey.ivs(),
                entry.mode(), entry.cryptOffsetWords(), entry.cookie() != null,
                entry.cookie() == null ? 0 : entry.cookie(), outer, settings.sourcePorts());
        encryptTable.put(entry.flow(), new EgressEntry(entry.cryptoId(), slotKey, sa));
    }

    @Override
    public boolean removeEncryptEntry(FlowKey flow) {
        return encryptTable.remove(flow) != null;
    }

    @Override
    public int encryptEntryCount() {
        return encryptTable.size();
    }

    @Override
    public OptionalInt encryptEntrySpi(FlowKey flow) {
        EgressEntry e = encryptTable.get(flow);
        return e == null ? OptionalInt.empty() : OptionalInt.of(e.sa.spi());
    }

    @Override
    public long masterKeyGeneration() {
        return ring.current().number();
    }

    @Override
    public void addIngressAcl(int spi, InetAddress sourceVip, InetAddress destinationVip) {
        aclTable.putIfAbsent(ControlChecks.aclKey(spi, sourceVip, destinationVip), new FlowCounter());
    }

    @Override
    public boolean removeIngressAcl(int spi, InetAddress sourceVip, InetAddress destinationVip) {
        return aclTable.remove(ControlChecks.aclKey(spi, sourceVip, destinationVip)) != null;
    }

    @Override
    public int ingressAclCount() {
        return aclTable.size();
    }

    @Override
    public long rotateMasterKey() {
        long generation = ring.rotate();
        log.info("master keys rotated: generation {}, SPIs with bit 31 = {} are now minted", generation,
                ring.current().activeIndex());
        return generation;
    }

    @Override
    public DataplaneCounters counters() {
        long[] d = drops.sums();
        d[DropReason.PORT_RECEIVE_DROPS.ordinal()] += plainPort.receiveDrops() + securePort.receiveDrops();
        d[DropReason.EGRESS_TOO_BIG.ordinal()] += securePort.sendDrops();
        long rxBad = d[DropReason.INGRESS_MALFORMED.ordinal()] + d[DropReason.INGRESS_FRAGMENT.ordinal()]
                + d[DropReason.INGRESS_BAD_HEADER.ordinal()] + d[DropReason.INGRESS_UNSUPPORTED_VERSION.ordinal()]
                + d[DropReason.INGRESS_BAD_INNER.ordinal()];
        long txErrors = d[DropReason.EGRESS_MALFORMED.ordinal()] + d[DropReason.EGRESS_BAD_LENGTH.ordinal()]
                + d[DropReason.EGRESS_UNSUPPORTED_NEXT_HEADER.ordinal()] + d[DropReason.EGRESS_CRYPT_OFFSET_PAST_END.ordinal()]
                + d[DropReason.EGRESS_TOO_BIG.ordinal()] + d[DropReason.EGRESS_NO_KEY_SLOT.ordinal()]
                + d[DropReason.EGRESS_PORT_FULL.ordinal()];
        return new DataplaneCounters(rxPackets.sum(), rxBytes.sum(), d[DropReason.INGRESS_AUTH_FAILED.ordinal()],
                d[DropReason.INGRESS_NO_KEY.ordinal()], rxBad, txPackets.sum(), txBytes.sum(), txErrors,
                DataplaneCounters.nonZero(DropReason.class, d), held.nonZero(),
                ring.current().number(), plainPort.offloadCounters().plus(securePort.offloadCounters()),
                SlowPathCounters.NONE);
    }

    @Override
    public EntryCounters encryptEntryCounters(FlowKey flow) {
        EgressEntry e = encryptTable.get(flow);
        return e == null ? null : e.counters();
    }

    @Override
    public EntryCounters ingressAclCounters(int spi, InetAddress sourceVip, InetAddress destinationVip) {
        FlowCounter c = aclTable.get(ControlChecks.aclKey(spi, sourceVip, destinationVip));
        return c == null ? null : c.counters();
    }

    @Override
    public void reinject(HeldPacket packet) {
        synchronized (reinjectLock) {
            PacketBuffer buf = reinjectBuffer[0];
            if (!buf.load(packet.packet(), 0, packet.packet().length, PacketBuffer.DEFAULT_HEADROOM)) {
                drop(DropReason.EGRESS_TOO_BIG);
                return;
            }
            if (!egress(reinjectContext, buf)) {
                return;
            }
            try {
                if (securePort.send(reinjectBuffer, 1) < 1) {
                    drop(DropReason.EGRESS_PORT_FULL);
                }
            } catch (IOException e) {
                drop(DropReason.EGRESS_PORT_FULL);
                log.warn("re-injection: {} refused a packet: {}", securePort.name(), e.getMessage());
            }
        }
    }

    @Override
    public MissQueue missQueue() {
        return missQueue;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        // workers first: a port's descriptor must not be closed (and its number reused) under a worker
        for (PacketWorker w : workers) {
            w.join();
        }
        plainPort.close();
        securePort.close();
        for (int i = 0; i < slots.length(); i++) {
            SlotKey k = slots.getAndSet(i, null);
            if (k != null) {
                k.destroy();
            }
        }
        if (mintDeriver != null) {
            mintDeriver.forget();
        }
        ring.destroy();
        log.info("soft data plane stopped; {} key slots wiped", slots.length());
    }
}
