package io.pspgateway.dataplane.doca;

import static io.pspgateway.dataplane.doca.DocaAbi.MATCH;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.pspgateway.dataplane.DataplaneCounters;
import io.pspgateway.dataplane.DataplaneException;
import io.pspgateway.dataplane.DataplaneInspection;
import io.pspgateway.dataplane.DataplaneOps;
import io.pspgateway.dataplane.DropReason;
import io.pspgateway.dataplane.EncryptEntry;
import io.pspgateway.dataplane.EntryCounters;
import io.pspgateway.dataplane.FlowKey;
import io.pspgateway.dataplane.HeldPacket;
import io.pspgateway.dataplane.MissQueue;
import io.pspgateway.dataplane.SpiKey;
import io.pspgateway.dataplane.port.OffloadCounters;
import io.pspgateway.psp.PspMode;
import io.pspgateway.psp.PspVersion;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The doca backend's control path: {@link DataplaneOps} on DOCA Flow (BACKEND-NOTES 2.16). The
 * NIC seals, opens and admits packets; this class mints, programs key slots and adds and removes
 * the entries that say which tunnel carries what.
 *
 * <p>Threading: as {@link DataplaneOps} says, one writer; every DOCA call, and every entry
 * callback, happens on it. The tables here are concurrent maps only so that inspection and
 * counter reads from other threads see each entry whole.
 *
 * <p>The packets the NIC sends to the CPU, and those that go back, pass through a
 * {@link SlowPath} the backend gives and owns (the DPDK queues on a NIC).
 */
public final class DocaDataplane implements DataplaneOps, DataplaneInspection {
    private static final Logger log = LoggerFactory.getLogger(DocaDataplane.class);

    /**
     * @param flow DOCA Flow's start settings
     * @param pipeline the pipes' settings
     * @param nexthopDmac the Ethernet destination of encrypted packets when a tunnel names none (-n/--nexthop-dmac)
     */
    public record Config(DocaFlow.Settings flow, DocaPipeline.Settings pipeline, Optional<byte[]> nexthopDmac) {
    }

    /** An entry in the NIC: the entry, the SPI it is for, an IPv6 pair's first stage, the peer VIP whose index it holds. */
    private record Installed(EntryQueue.Entry entry, int spi, Optional<MemorySegment> firstStage, Optional<InetAddress> indexedPeer) {
    }

    // the egress match fields an encrypt entry sets
    private static final Structs.Field OUTER_L3_META = Structs.field(MATCH, "parser_meta.outer_l3_type");
    private static final Structs.Field OUTER_L3_TYPE = Structs.field(MATCH, "outer.l3_type");
    private static final Structs.Field OUTER_IP4_SRC = Structs.field(MATCH, "outer.ip4.src_ip");
    private static final Structs.Field OUTER_IP4_DST = Structs.field(MATCH, "outer.ip4.dst_ip");
    private static final Structs.Field OUTER_IP6_SRC = Structs.field(MATCH, "outer.ip6.src_ip");
    private static final Structs.Field OUTER_IP6_DST = Structs.field(MATCH, "outer.ip6.dst_ip");

    private final DocaFlow flow;
    private final DocaPipeline pipeline;
    private final EntryQueue queue;
    private final KeySlots slots;
    private final SpiKeyMinter minter;
    private final Config config;
    private final PeerIndexes peers = new PeerIndexes();
    private final Map<FlowKey, Installed> encrypt = new ConcurrentHashMap<>();
    private final Map<FlowKey, Installed> acls = new ConcurrentHashMap<>();
    private final SlowPath slowPath;
    // the pipes tunnels add entries to (BACKEND-NOTES 2.8, 2.9); the ACL pipes are NULL with the ACL off
    private final MemorySegment egressIpv4;
    private final MemorySegment egressIpv6;
    private final MemorySegment egressDestinations;
    private final MemorySegment ingressIpv4;
    private final MemorySegment ingressIpv6Sources;
    private final MemorySegment ingressIpv6;
    private final AtomicLong generation = new AtomicLong();
    private boolean closed;

    private DocaDataplane(DocaFlow flow, DocaPipeline pipeline, Config config, SlowPath slowPath) {
        this.flow = flow;
        this.pipeline = pipeline;
        this.config = config;
        this.queue = new EntryQueue(flow);
        this.slots = new KeySlots(flow, config.flow().maxTunnels());
        this.minter = new SpiKeyMinter(flow);
        this.slowPath = slowPath;
        Map<String, MemorySegment> pipes = pipeline.pipes();
        this.egressIpv4 = pipes.get("EGR_ACL_IPV4");
        this.egressIpv6 = pipes.get("EGR_ACL_IPV6");
        this.egressDestinations = pipes.get("EGR_ACL");
        this.ingressIpv4 = pipes.getOrDefault("INGR_ACL_IPV4", MemorySegment.NULL);
        this.ingressIpv6Sources = pipes.getOrDefault("ING_SRC_IP6", MemorySegment.NULL);
        this.ingressIpv6 = pipes.getOrDefault("INGR_ACL_IPV6", MemorySegment.NULL);
    }

    /**
     * Starts DOCA Flow and builds the pipeline, its misses coming up and its held packets going
     * back through {@code slowPath}; on failure nothing is left started.
     */
    public static DocaDataplane open(DocaFlowNative doca, Config config, SlowPath slowPath) {
        DocaFlow flow = DocaFlow.start(doca, config.flow());
        try {
            return new DocaDataplane(flow, DocaPipeline.build(flow, config.pipeline()), config, slowPath);
        } catch (RuntimeException e) {
            flow.close();
            throw e;
        }
    }

    @Override
    public List<SpiKey> mintSpiKeys(int count, PspVersion version) {
        return minter.mint(count, version);
    }

    @Override
    public void programKeySlot(int cryptoId, PspVersion version, byte[] key) {
        slots.program(cryptoId, version, key);
    }

    @Override
    public void wipeKeySlot(int cryptoId) {
        slots.wipe(cryptoId);
    }

    @Override
    public int keySlotCount() {
        return slots.count();
    }

    @Override
    public void addEncryptEntry(EncryptEntry entry) {
        PspVersion held = slots.version(entry.cryptoId());
        if (held != entry.version()) {
            throw new DataplaneException(DataplaneException.Kind.INVALID_ARGUMENT, held == null
                    ? "key slot " + entry.cryptoId() + " holds no key"
                    : "key slot " + entry.cryptoId() + " holds a " + held + " key, not " + entry.version());
        }
        byte[] nextHop = entry.nextHopMac() != null ? entry.nextHopMac() : config.nexthopDmac().orElseThrow(() -> new DataplaneException(
                DataplaneException.Kind.INVALID_ARGUMENT, "no next-hop MAC for " + entry.flow() + ": the tunnel names none and -n is not set"));
        FlowKey flowKey = entry.flow();
        Installed replaced = encrypt.get(flowKey);
        if (replaced == null) {
            install(entry, flowKey, nextHop);
        } else {
            repoint(replaced, entry, flowKey, nextHop);
        }
    }

    /**
     * Gives the live encrypt entry of a flow a new tunnel's actions in place, through
     * {@code doca_flow_pipe_update_entry}: the flow's packets never miss meanwhile, as they would
     * between a removal and an add (the match, and so the pipe, are the flow's and do not change).
     * If DOCA refuses the update the entry stays, with the tunnel DOCA left it (as before, on the
     * fake; hardware must confirm).
     */
    private void repoint(Installed old, EncryptEntry entry, FlowKey flowKey, byte[] nextHop) {
        MemorySegment pipe = entry.destinationVip() instanceof Inet6Address ? egressIpv6 : egressIpv4;
        try (Scratch.Operation arena = flow.scratch().operation()) {
            MemorySegment actions = EncryptActions.of(arena, entry, DocaFlow.cryptoId(entry.cryptoId()), config.pipeline().pfMac(), nextHop);
            MemorySegment monitor = Fwd.counter(arena);
            queue.update(old.entry(), () -> "encrypt entry for " + flowKey, () -> flow.doca().call(DocaSymbol.DOCA_FLOW_PIPE_UPDATE_ENTRY,
                    EntryQueue.QUEUE, pipe, actions, monitor, Fwd.NONE, DocaAbi.DOCA_FLOW_NO_WAIT, old.entry().handle()));
            encrypt.put(flowKey, new Installed(old.entry(), entry.spi(), old.firstStage(), old.indexedPeer()));
        } catch (DocaCallException e) {
            throw new DataplaneException(DataplaneException.Kind.INTERNAL, e.getMessage());
        }
    }

    /** Adds the entry to its egress pipe; an IPv6 one first takes its peer's index (and tagging entry). */
    private void install(EncryptEntry entry, FlowKey flowKey, byte[] nextHop) {
        InetAddress peer = entry.destinationVip();
        boolean ipv6 = peer instanceof Inet6Address;
        try (Scratch.Operation arena = flow.scratch().operation()) {
            MemorySegment actions = EncryptActions.of(arena, entry, DocaFlow.cryptoId(entry.cryptoId()), config.pipeline().pfMac(), nextHop);
            MemorySegment match = arena.allocate(MATCH);
            int index = ipv6 ? peers.acquire(peer) : 0;
            try {
                if (ipv6) {
                    egressDestination(arena, (Inet6Address) peer, index);
                    OUTER_L3_META.set(match, DocaAbi.DOCA_FLOW_L3_META_IPV6);
                    OUTER_L3_TYPE.set(match, DocaAbi.DOCA_FLOW_L3_TYPE_IP6);
                    IngressAclMatches.MATCH_PEER_INDEX.set(match, index);
                    OUTER_IP6_SRC.set(match, entry.sourceVip().getAddress());
                } else {
                    OUTER_L3_META.set(match, DocaAbi.DOCA_FLOW_L3_META_IPV4);
                    OUTER_L3_TYPE.set(match, DocaAbi.DOCA_FLOW_L3_TYPE_IP4);
                    OUTER_IP4_SRC.set(match, entry.sourceVip().getAddress());
                    OUTER_IP4_DST.set(match, peer.getAddress());
                }
                EntryQueue.Entry installed = add(arena, () -> "encrypt entry for " + flowKey, ipv6 ? egressIpv6 : egressIpv4, match, actions);
                encrypt.put(flowKey, new Installed(installed, entry.spi(), Optional.empty(), ipv6 ? Optional.of(peer) : Optional.empty()));
            } catch (DocaCallException e) {
                if (ipv6) {
                    peers.release(peer).ifPresent(this::removeQuietly);
                }
                throw new DataplaneException(DataplaneException.Kind.INTERNAL, e.getMessage());
            }
        }
    }

    /**
     * EGR_ACL's entry for an IPv6 destination: tags its packets with the peer's index. Shared by
     * every tunnel to that peer VIP; added with the first, removed with the last.
     */
    private MemorySegment egressDestination(SegmentAllocator allocator, Inet6Address peerVip, int index) {
        return peers.stage(peerVip).orElseGet(() -> {
            MemorySegment match = allocator.allocate(MATCH);
            OUTER_L3_META.set(match, DocaAbi.DOCA_FLOW_L3_META_IPV6);
            OUTER_L3_TYPE.set(match, DocaAbi.DOCA_FLOW_L3_TYPE_IP6);
            OUTER_IP6_DST.set(match, peerVip.getAddress());
            MemorySegment entry = add(allocator, () -> "EGR_ACL entry for " + peerVip.getHostAddress(), egressDestinations, match,
                    IngressAclMatches.peerIndexActions(allocator, index)).handle();
            peers.stage(peerVip, entry);
            return entry;
        });
    }

    @Override
    public boolean removeEncryptEntry(FlowKey flowKey) {
        Installed old = encrypt.remove(flowKey);
        if (old == null) {
            return false;
        }
        uninstall(old);
        return true;
    }

    /** Takes an encrypt entry out of the NIC, and its peer's tagging entry with the last tunnel to that peer. */
    private void uninstall(Installed old) {
        queue.remove(old.entry().handle());
        old.indexedPeer().flatMap(peers::release).ifPresent(this::removeQuietly);
    }

    @Override
    public void addIngressAcl(int spi, InetAddress sourceVip, InetAddress destinationVip) {
        if ((sourceVip instanceof Inet4Address) != (destinationVip instanceof Inet4Address)) {
            throw new DataplaneException(DataplaneException.Kind.INVALID_ARGUMENT, "an ACL's VIPs must be of one family: "
                    + sourceVip.getHostAddress() + " and " + destinationVip.getHostAddress());
        }
        if (!config.pipeline().acl()) {
            throw new DataplaneException(DataplaneException.Kind.INVALID_ARGUMENT, "the ingress ACL is off (-a): there is no entry to add");
        }
        FlowKey key = FlowKey.ofSpi(spi, sourceVip, destinationVip);
        if (acls.containsKey(key)) {
            return;
        }
        PspMode mode = config.pipeline().mode();
        try (Scratch.Operation arena = flow.scratch().operation()) {
            if (sourceVip instanceof Inet4Address peer) {
                EntryQueue.Entry entry = add(arena, () -> "ingress ACL for SPI " + Integer.toHexString(spi), ingressIpv4,
                        IngressAclMatches.ipv4(arena, mode, spi, peer, (Inet4Address) destinationVip), MemorySegment.NULL);
                acls.put(key, new Installed(entry, spi, Optional.empty(), Optional.empty()));
                return;
            }
            int index = peers.acquire(sourceVip);
            MemorySegment first = null;
            try {
                first = add(arena, () -> "ingress ACL (source) for SPI " + Integer.toHexString(spi), ingressIpv6Sources,
                        IngressAclMatches.ipv6Source(arena, mode, spi, (Inet6Address) sourceVip), IngressAclMatches.peerIndexActions(arena, index))
                        .handle();
                EntryQueue.Entry second = add(arena, () -> "ingress ACL for SPI " + Integer.toHexString(spi), ingressIpv6,
                        IngressAclMatches.ipv6Destination(arena, mode, (Inet6Address) destinationVip, index), MemorySegment.NULL);
                acls.put(key, new Installed(second, spi, Optional.of(first), Optional.of(sourceVip)));
            } catch (DocaCallException e) {
                // no half pair stays: the first stage goes if the second did not make it
                if (first != null) {
                    removeQuietly(first);
                }
                peers.release(sourceVip).ifPresent(this::removeQuietly);
                throw new DataplaneException(DataplaneException.Kind.INTERNAL, e.getMessage());
            }
        } catch (DocaCallException e) {
            throw new DataplaneException(DataplaneException.Kind.INTERNAL, e.getMessage());
        }
    }

    @Override
    public boolean removeIngressAcl(int spi, InetAddress sourceVip, InetAddress destinationVip) {
        Installed old = acls.remove(FlowKey.ofSpi(spi, sourceVip, destinationVip));
        if (old == null) {
            return false;
        }
        queue.remove(old.entry().handle());
        old.firstStage().ifPresent(queue::remove);
        old.indexedPeer().flatMap(peers::release).ifPresent(this::removeQuietly);
        return true;
    }

    @Override
    public long rotateMasterKey() {
        try {
            flow.doca().call(DocaSymbol.DOCA_FLOW_CRYPTO_PSP_MASTER_KEY_ROTATE, flow.pf());
        } catch (DocaCallException e) {
            throw new DataplaneException(DataplaneException.Kind.INTERNAL, e.getMessage());
        }
        return generation.incrementAndGet();
    }

    @Override
    public DataplaneCounters counters() {
        EntryCounters rx = sum(acls.values());
        EntryCounters tx = sum(encrypt.values());
        Map<String, MemorySegment> entries = pipeline.staticEntries();
        long authFailed = query(entries.get(DocaPipeline.ICV_FAILED_ENTRY)).packets();
        long badTrailer = query(entries.get(DocaPipeline.BAD_TRAILER_ENTRY)).packets();
        long[] drops = new long[DropReason.values().length];
        drops[DropReason.INGRESS_AUTH_FAILED.ordinal()] = authFailed;
        drops[DropReason.INGRESS_BAD_HEADER.ordinal()] = badTrailer;
        drops[DropReason.INGRESS_ACL_MISS.ordinal()] = missed("SYNDROME_STATS");
        drops[DropReason.INGRESS_NOT_PSP.ordinal()] = missed("PSP_DECRYPT");
        drops[DropReason.INGRESS_BAD_INNER.ordinal()] = missed("PSP_INNER_IP_CLASSIFIER");
        SlowPath.Counters cpu = slowPath.counters();
        cpu.drops().forEach((reason, n) -> drops[reason.ordinal()] += n);
        // what reached the miss queue, as the soft backend counts it (the NIC's own egress pipe-miss
        // counters also count what the slow path dropped or answered)
        return new DataplaneCounters(rx.packets(), rx.bytes(), authFailed, 0, badTrailer, tx.packets(), tx.bytes(), 0,
                DataplaneCounters.nonZero(DropReason.class, drops), cpu.held(), generation.get(), OffloadCounters.NONE,
                cpu.traffic());
    }

    @Override
    public EntryCounters encryptEntryCounters(FlowKey flowKey) {
        Installed e = encrypt.get(flowKey);
        return e == null ? null : query(e.entry().handle());
    }

    @Override
    public EntryCounters ingressAclCounters(int spi, InetAddress sourceVip, InetAddress destinationVip) {
        Installed e = acls.get(FlowKey.ofSpi(spi, sourceVip, destinationVip));
        return e == null ? null : query(e.entry().handle());
    }

    @Override
    public void reinject(HeldPacket packet) {
        slowPath.reinject(packet);
    }

    @Override
    public MissQueue missQueue() {
        return slowPath.missQueue();
    }

    // ---- inspection ----------------------------------------------------------------------------

    @Override
    public int keySlotsInUse() {
        return slots.inUse();
    }

    @Override
    public int encryptEntryCount() {
        return encrypt.size();
    }

    @Override
    public int ingressAclCount() {
        return acls.size();
    }

    @Override
    public OptionalInt encryptEntrySpi(FlowKey flowKey) {
        Installed e = encrypt.get(flowKey);
        return e == null ? OptionalInt.empty() : OptionalInt.of(e.spi());
    }

    @Override
    public long masterKeyGeneration() {
        return generation.get();
    }

    /**
     * Removes every tunnel's entries, wipes every key slot, then stops DOCA Flow (the ports, then
     * DOCA Flow itself, which takes the pipes with it).
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            for (FlowKey f : new ArrayList<>(encrypt.keySet())) {
                removeEncryptEntry(f);
            }
            for (Map.Entry<FlowKey, Installed> acl : new ArrayList<>(acls.entrySet())) {
                Installed old = acls.remove(acl.getKey());
                removeQuietly(old.entry().handle());
                old.firstStage().ifPresent(this::removeQuietly);
            }
            slots.wipeAll();
        } finally {
            flow.close();
        }
    }

    // ---- building blocks -----------------------------------------------------------------------

    /** Adds an entry to {@code pipe} with its own counter; the structs, from {@code allocator}, live until it is live. */
    private EntryQueue.Entry add(SegmentAllocator allocator, Supplier<String> what, MemorySegment pipe, MemorySegment match, MemorySegment actions) {
        MemorySegment monitor = Fwd.counter(allocator);
        return queue.add(allocator, what, (context, entry) -> flow.doca().addEntry(EntryQueue.QUEUE, pipe, match, actions, monitor,
                Fwd.NONE, DocaAbi.DOCA_FLOW_NO_WAIT, context, entry));
    }

    private void removeQuietly(MemorySegment entry) {
        try {
            queue.remove(entry);
        } catch (DocaCallException e) {
            log.warn("a DOCA entry could not be removed: {}", e.getMessage());
        }
    }

    private EntryCounters query(MemorySegment entry) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment result = arena.allocate(DocaAbi.RESOURCE_QUERY);
            flow.doca().call(DocaSymbol.DOCA_FLOW_RESOURCE_QUERY_ENTRY, entry, result);
            return new EntryCounters(result.get(JAVA_LONG, 8), result.get(JAVA_LONG, 0));
        }
    }

    /** The entries' counters added up. DOCA counts bytes at the pipe, headers included, unlike the spec's payload bytes. */
    private EntryCounters sum(Collection<Installed> entries) {
        long packets = 0;
        long bytes = 0;
        for (Installed e : entries) {
            EntryCounters c = query(e.entry().handle());
            packets += c.packets();
            bytes += c.bytes();
        }
        return new EntryCounters(packets, bytes);
    }

    private long missed(String pipe) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment result = arena.allocate(DocaAbi.RESOURCE_QUERY);
            flow.doca().call(DocaSymbol.DOCA_FLOW_RESOURCE_QUERY_PIPE_MISS, pipeline.pipes().get(pipe), result);
            return result.get(JAVA_LONG, 8);
        }
    }
}
