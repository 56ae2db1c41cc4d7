package io.pspgateway.dataplane.doca;

import static io.pspgateway.dataplane.doca.DocaAbi.ACTIONS;
import static io.pspgateway.dataplane.doca.DocaAbi.DOCA_FLOW_DIRECTION_HOST_TO_NETWORK;
import static io.pspgateway.dataplane.doca.DocaAbi.DOCA_FLOW_DIRECTION_NETWORK_TO_HOST;
import static io.pspgateway.dataplane.doca.DocaAbi.DOCA_FLOW_PIPE_DOMAIN_DEFAULT;
import static io.pspgateway.dataplane.doca.DocaAbi.DOCA_FLOW_PIPE_DOMAIN_EGRESS;
import static io.pspgateway.dataplane.doca.DocaAbi.DOCA_FLOW_PIPE_DOMAIN_SECURE_EGRESS;
import static io.pspgateway.dataplane.doca.DocaAbi.DOCA_FLOW_PIPE_DOMAIN_SECURE_INGRESS;
import static io.pspgateway.dataplane.doca.DocaAbi.MATCH;
import static io.pspgateway.dataplane.doca.DocaFlow.PF_PORT_ID;
import static io.pspgateway.dataplane.doca.DocaFlow.VF_PORT_ID;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.pspgateway.psp.Ethernet;
import io.pspgateway.psp.Ip;
import io.pspgateway.psp.PspHeader;
import io.pspgateway.psp.PspMode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every pipe of the gateway, built once at start (BACKEND-NOTES 2.5), with its static entries:
 * what the NIC does with a packet before any tunnel exists. Tunnels then only add entries to the
 * egress ACL pipes (encrypt) and the ingress ACL pipes (decrypt and admit).
 *
 * <pre>
 * wire → ROOT → PSP_DECRYPT → [INGR_SAMPL] → CLASSIFIER → INGR_ACL_IPV4 / ING_SRC_IP6 → INGR_ACL_IPV6 → VF
 *                                                          (miss → SYNDROME_STATS: ICV and trailer failures counted, dropped)
 * VF   → ROOT → EMPTY → EGR_ACL_IPV4 / EGR_ACL → EGR_ACL_IPV6 → [EGR_SET_SAMPLE_BIT → EGR_SAMPL] → wire
 *                       (miss → RSS_PIPE: to the CPU, where the miss handler sets the tunnel up)
 * </pre>
 *
 * <p>Where this departs from NVIDIA's sample, on purpose: EMPTY is sized for the four entries it
 * gets; EMPTY_NOT_SAMPLED, which no pipe forwards to, is not built; the pipe the sample calls
 * "FWD_TO_RSS" (it sets the sample bit) is named EGR_SET_SAMPLE_BIT.
 */
public final class DocaPipeline {
    // the pkt_meta values the pipes and the slow path agree on (BACKEND-NOTES 2.11, 2.13)
    /** The original of a packet sampled at ingress, sent to the CPU. */
    public static final int INGRESS_SAMPLE_TAG = 0x65656565;
    /** The mirror copy of a packet sampled at egress, sent to the CPU. */
    public static final int EGRESS_SAMPLE_TAG = 0x43434343;
    /** A packet from the CPU the egress root delivers to the VF (ARP and neighbour answers). */
    public static final int TO_VF_TAG = 0x78787878;
    /** A packet from the CPU the egress root sends on to the encrypt pipes, as the VF's own (re-injected). */
    public static final int TO_ENCRYPT_TAG = 0;
    static final int MIRROR_TO_CLASSIFIER = 1;
    static final int MIRROR_TO_RSS = 2;
    static final int MIRROR_DROP = 3;
    /** The S bit in the PSP header's fourth byte. */
    static final int SAMPLE_BIT = 0x80;
    /** The static entries that count what failed decryption: the NIC's ICV and trailer syndromes. */
    static final String ICV_FAILED_ENTRY = "SYNDROME_STATS: ICV failed";
    static final String BAD_TRAILER_ENTRY = "SYNDROME_STATS: bad trailer";

    private static final int ICMP6_NEIGHBOUR_SOLICITATION = 135;
    private static final int PROTO_ICMP6 = 58;
    private static final int ALL_ONES = -1;

    /**
     * @param mode tunnel or transport
     * @param maxTunnels the size of the ACL pipes
     * @param queues the RSS queues misses go to
     * @param acl whether ingress packets must match a granted SPI and VIP pair (-a turns it off)
     * @param sampleRateLog2 sample one packet in 2^N each way; 0 for none
     * @param maintainOrder unsampled packets pass a mirror too, so sampled ones do not overtake them
     * @param cookie whether PSP headers carry the virtualization cookie
     * @param pfMac the PF's MAC: the source of the Ethernet header pushed on decapsulated packets
     * @param decapDmac the destination of that header (--decap-dmac)
     */
    public record Settings(PspMode mode, int maxTunnels, int queues, boolean acl, int sampleRateLog2, boolean maintainOrder,
                    boolean cookie, byte[] pfMac, byte[] decapDmac) {
        public Settings {
            if (maxTunnels < 1 || queues < 1) {
                throw new IllegalArgumentException("maxTunnels and queues must be positive");
            }
            if (sampleRateLog2 < 0 || sampleRateLog2 > 16) {
                throw new IllegalArgumentException("--sample-rate: 0 (off) to 16, a power of two, not " + sampleRateLog2);
            }
            if (pfMac == null || pfMac.length != 6) {
                throw new IllegalArgumentException("the PF's MAC must be 6 bytes");
            }
            if (mode == PspMode.TUNNEL && (decapDmac == null || decapDmac.length != 6)) {
                throw new IllegalArgumentException("--decap-dmac: tunnel mode needs the MAC decapsulated packets are delivered to");
            }
            pfMac = pfMac.clone();
            decapDmac = decapDmac == null ? null : decapDmac.clone();
        }

        boolean sampling() {
            return sampleRateLog2 > 0;
        }
    }

    private final DocaFlow flow;
    private final EntryQueue queue;
    private final Settings settings;
    private final Arena arena = Arena.ofConfined();
    private final Map<String, MemorySegment> pipes = new LinkedHashMap<>();
    private final Map<String, MemorySegment> staticEntries = new LinkedHashMap<>();

    private DocaPipeline(DocaFlow flow, Settings settings) {
        this.flow = flow;
        this.queue = new EntryQueue(flow);
        this.settings = settings;
    }

    /** Builds every pipe and static entry; a failure part way leaves what was made to {@link DocaFlow#close()}. */
    static DocaPipeline build(DocaFlow flow, Settings settings) {
        DocaPipeline pipeline = new DocaPipeline(flow, settings);
        try {
            pipeline.buildAll();
            return pipeline;
        } finally {
            pipeline.arena.close();
        }
    }

    /** The pipes by name, in creation order: for miss counters and for entries. */
    Map<String, MemorySegment> pipes() {
        return Collections.unmodifiableMap(pipes);
    }

    /** The static entries by name ("ROOT: VF IPv4 → EMPTY"): for their counters. */
    Map<String, MemorySegment> staticEntries() {
        return Collections.unmodifiableMap(staticEntries);
    }

    private void buildAll() {
        boolean sampling = settings.sampling();
        MemorySegment rss = pipe("RSS_PIPE", DOCA_FLOW_PIPE_DOMAIN_EGRESS, 0, 1, false, match(), null, Fwd.rss(arena, settings.queues()),
                Fwd.NONE, b -> b);
        entry("RSS_PIPE", rss, MemorySegment.NULL, MemorySegment.NULL, Fwd.NONE);
        MemorySegment toWire = null;
        MemorySegment toRss = null;
        if (sampling) {
            toWire = pipe("fwd_to_wire", DOCA_FLOW_PIPE_DOMAIN_EGRESS, 0, 1, true, match(), null, Fwd.port(arena, PF_PORT_ID),
                    Fwd.drop(arena), b -> b);
            entry("fwd_to_wire", toWire, MemorySegment.NULL, MemorySegment.NULL, Fwd.NONE);
            MemorySegment tag = actions();
            Structs.set(tag, ACTIONS, "meta.pkt_meta", EGRESS_SAMPLE_TAG);
            MemorySegment tagMask = actions();
            Structs.allOnes(tagMask, ACTIONS, "meta.pkt_meta");
            MemorySegment empty = match();
            toRss = pipe("fwd_to_rss", DOCA_FLOW_PIPE_DOMAIN_DEFAULT, 0, 1, true, empty, empty, Fwd.rss(arena, settings.queues()),
                    Fwd.NONE, b -> b.actionsWithMask(tag, tagMask));
            entry("fwd_to_rss", toRss, MemorySegment.NULL, MemorySegment.NULL, Fwd.NONE);
        }
        MemorySegment syndromes = syndromeStats();
        MemorySegment aclIpv4 = ingressAcl(false, syndromes);
        MemorySegment aclIpv6 = ingressAcl(true, syndromes);
        MemorySegment sourceIpv6 = settings.acl() ? ingressSourceIpv6(aclIpv6, syndromes) : aclIpv6;
        MemorySegment classifier = classifier(aclIpv4, sourceIpv6);
        MemorySegment decryptNext = classifier;
        if (sampling) {
            mirror(MIRROR_TO_CLASSIFIER, Fwd.pipe(arena, classifier));
            mirror(MIRROR_TO_RSS, Fwd.pipe(arena, toRss));
            if (settings.maintainOrder()) {
                mirror(MIRROR_DROP, Fwd.drop(arena));
            }
            decryptNext = ingressSampling(rss, classifier);
        }
        MemorySegment decrypt = decrypt(decryptNext);
        MemorySegment egressNext = null;
        if (sampling) {
            MemorySegment egressSampling = egressSampling(toWire);
            egressNext = setSampleBit(egressSampling);
        }
        MemorySegment aclNext = egressNext != null ? Fwd.pipe(arena, egressNext) : Fwd.port(arena, PF_PORT_ID);
        MemorySegment egressIpv4 = egressAcl("EGR_ACL_IPV4", false, aclNext, rss);
        MemorySegment egressIpv6 = egressAcl("EGR_ACL_IPV6", true, aclNext, rss);
        MemorySegment egressByDestination = egressDestinationIpv6(egressIpv6, rss);
        MemorySegment empty = egressRoot(egressIpv4, egressByDestination);
        root(decrypt, empty, rss);
    }

    // ---- ingress ------------------------------------------------------------------------------

    /** What fails decryption lands here by syndrome (ICV, trailer): counted and dropped. */
    private MemorySegment syndromeStats() {
        MemorySegment template = match();
        Structs.allOnes(template, MATCH, "parser_meta.psp_syndrome");
        MemorySegment pipe = pipe("SYNDROME_STATS", DOCA_FLOW_PIPE_DOMAIN_SECURE_INGRESS, DOCA_FLOW_DIRECTION_NETWORK_TO_HOST, 2, true,
                template, null, Fwd.drop(arena), Fwd.drop(arena), b -> b);
        for (int syndrome : new int[] {DocaAbi.DOCA_FLOW_CRYPTO_SYNDROME_ICV_FAIL, DocaAbi.DOCA_FLOW_CRYPTO_SYNDROME_BAD_TRAILER}) {
            MemorySegment m = match();
            Structs.set(m, MATCH, "parser_meta.psp_syndrome", syndrome);
            entry(syndrome == DocaAbi.DOCA_FLOW_CRYPTO_SYNDROME_ICV_FAIL ? ICV_FAILED_ENTRY : BAD_TRAILER_ENTRY, pipe, m,
                    MemorySegment.NULL, Fwd.NONE);
        }
        return pipe;
    }

    /** The VIP header a decrypted packet is admitted by: the inner one in tunnel mode, its own in transport mode. */
    private String vipLevel() {
        return settings.mode() == PspMode.TUNNEL ? "inner" : "outer";
    }

    /** INGR_ACL_IPV4 / _IPV6: decapsulate and deliver to the VF what a granted tunnel sent; the rest to SYNDROME_STATS. */
    private MemorySegment ingressAcl(boolean ipv6, MemorySegment syndromes) {
        String name = ipv6 ? "INGR_ACL_IPV6" : "INGR_ACL_IPV4";
        String level = vipLevel();
        MemorySegment template = match();
        Structs.allOnes(template, MATCH, "parser_meta.psp_syndrome");
        Structs.set(template, MATCH, level + ".l3_type", ipv6 ? DocaAbi.DOCA_FLOW_L3_TYPE_IP6 : DocaAbi.DOCA_FLOW_L3_TYPE_IP4);
        if (settings.acl()) {
            if (ipv6) {
                Structs.allOnes(template, MATCH, "meta.u32[" + IngressAclMatches.PEER_INDEX_WORD + "]");
                Structs.allOnes(template, MATCH, level + ".ip6.dst_ip");
            } else {
                Structs.set(template, MATCH, "tun.type", DocaAbi.DOCA_FLOW_TUN_PSP);
                Structs.allOnes(template, MATCH, "tun.psp.spi");
                Structs.allOnes(template, MATCH, level + ".ip4.src_ip");
                Structs.allOnes(template, MATCH, level + ".ip4.dst_ip");
            }
        }
        MemorySegment decap = decapActions(ipv6);
        MemorySegment pipe = pipe(name, DOCA_FLOW_PIPE_DOMAIN_DEFAULT, DOCA_FLOW_DIRECTION_NETWORK_TO_HOST,
                settings.acl() ? settings.maxTunnels() : 1, true, template, template, Fwd.port(arena, VF_PORT_ID), Fwd.pipe(arena, syndromes),
                b -> b.actions(decap));
        if (!settings.acl()) {
            entry(name + ": any tunnel (ACL off)", pipe, match(), decap, Fwd.NONE);
        }
        return pipe;
    }

    private MemorySegment decapActions(boolean ipv6) {
        MemorySegment a = actions();
        boolean tunnel = settings.mode() == PspMode.TUNNEL;
        Structs.set(a, ACTIONS, "has_crypto_encap", 1);
        Structs.set(a, ACTIONS, "crypto_encap.action_type", DocaAbi.DOCA_FLOW_CRYPTO_REFORMAT_DECAP);
        Structs.set(a, ACTIONS, "crypto_encap.net_type", tunnel ? DocaAbi.DOCA_FLOW_CRYPTO_HEADER_PSP_TUNNEL
                : ipv6 ? DocaAbi.DOCA_FLOW_CRYPTO_HEADER_PSP_OVER_IPV6 : DocaAbi.DOCA_FLOW_CRYPTO_HEADER_PSP_OVER_IPV4);
        Structs.set(a, ACTIONS, "crypto_encap.icv_size", PspHeader.ICV_LENGTH);
        if (tunnel) {
            // the decapsulated inner packet needs an Ethernet header on its way to the VF
            byte[] ethernet = new byte[14];
            System.arraycopy(settings.decapDmac(), 0, ethernet, 0, 6);
            System.arraycopy(settings.pfMac(), 0, ethernet, 6, 6);
            Ip.putU16(ethernet, 12, ipv6 ? Ethernet.TYPE_IPV6 : Ethernet.TYPE_IPV4);
            Structs.set(a, ACTIONS, "crypto_encap.data_size", ethernet.length);
            Structs.set(a, ACTIONS, "crypto_encap.encap_data", ethernet);
        }
        return a;
    }

    /** ING_SRC_IP6: an IPv6 pair's first half, SPI and peer VIP, tags the packet with the peer's index. */
    private MemorySegment ingressSourceIpv6(MemorySegment aclIpv6, MemorySegment syndromes) {
        String level = vipLevel();
        MemorySegment template = match();
        Structs.set(template, MATCH, "tun.type", DocaAbi.DOCA_FLOW_TUN_PSP);
        Structs.allOnes(template, MATCH, "tun.psp.spi");
        Structs.set(template, MATCH, "parser_meta." + level + "_l3_type", DocaAbi.DOCA_FLOW_L3_META_IPV6);
        Structs.set(template, MATCH, level + ".l3_type", DocaAbi.DOCA_FLOW_L3_TYPE_IP6);
        Structs.allOnes(template, MATCH, level + ".ip6.src_ip");
        MemorySegment tag = actions();
        Structs.allOnes(tag, ACTIONS, "meta.u32[" + IngressAclMatches.PEER_INDEX_WORD + "]");
        return pipe("ING_SRC_IP6", DOCA_FLOW_PIPE_DOMAIN_DEFAULT, DOCA_FLOW_DIRECTION_NETWORK_TO_HOST, settings.maxTunnels(), true, template,
                null, Fwd.pipe(arena, aclIpv6), Fwd.pipe(arena, syndromes), b -> b.actions(tag));
    }

    /** By the decrypted packet's family: the inner header's (PSP next header) in tunnel mode, the packet's own in transport mode. */
    private MemorySegment classifier(MemorySegment aclIpv4, MemorySegment ipv6First) {
        boolean tunnel = settings.mode() == PspMode.TUNNEL;
        MemorySegment template = match();
        if (tunnel) {
            Structs.set(template, MATCH, "tun.type", DocaAbi.DOCA_FLOW_TUN_PSP);
            Structs.allOnes(template, MATCH, "tun.psp.nexthdr");
        } else {
            Structs.allOnes(template, MATCH, "parser_meta.outer_l3_type");
        }
        MemorySegment pipe = pipe("PSP_INNER_IP_CLASSIFIER", DOCA_FLOW_PIPE_DOMAIN_SECURE_INGRESS, DOCA_FLOW_DIRECTION_NETWORK_TO_HOST, 2,
                true, template, template, Fwd.pipe(arena, MemorySegment.NULL), Fwd.drop(arena), b -> b);
        for (boolean ipv6 : new boolean[] {true, false}) {
            MemorySegment m = match();
            if (tunnel) {
                Structs.set(m, MATCH, "tun.type", DocaAbi.DOCA_FLOW_TUN_PSP);
                Structs.set(m, MATCH, "tun.psp.nexthdr", ipv6 ? Ip.PROTO_IPV6 : Ip.PROTO_IPV4);
            } else {
                Structs.set(m, MATCH, "parser_meta.outer_l3_type", ipv6 ? DocaAbi.DOCA_FLOW_L3_META_IPV6 : DocaAbi.DOCA_FLOW_L3_META_IPV4);
            }
            entry("PSP_INNER_IP_CLASSIFIER: " + (ipv6 ? "IPv6" : "IPv4"), pipe, m, MemorySegment.NULL,
                    Fwd.pipe(arena, ipv6 ? ipv6First : aclIpv4));
        }
        return pipe;
    }

    /** A mirror resource: one target, bound to the PF. */
    private void mirror(int id, MemorySegment targetFwd) {
        MemorySegment target = arena.allocate(DocaAbi.MIRROR_TARGET);
        MemorySegment.copy(targetFwd, 0, target, DocaAbi.MIRROR_TARGET.byteOffset(groupElement("fwd")),
                DocaAbi.FWD.byteSize());
        MemorySegment cfg = arena.allocate(DocaAbi.SHARED_RESOURCE_CFG);
        Structs.set(cfg, DocaAbi.SHARED_RESOURCE_CFG, "arm.mirror_cfg.nr_targets", 1);
        cfg.set(ADDRESS, DocaAbi.SHARED_RESOURCE_CFG.byteOffset(
                groupElement("arm"), groupElement("mirror_cfg"),
                groupElement("target")), target);
        flow.doca().call(DocaSymbol.DOCA_FLOW_SHARED_RESOURCE_SET_CFG, DocaAbi.DOCA_FLOW_SHARED_RESOURCE_MIRROR, id, cfg);
        MemorySegment ids = arena.allocate(JAVA_INT);
        ids.set(JAVA_INT, 0, id);
        flow.doca().call(DocaSymbol.DOCA_FLOW_SHARED_RESOURCES_BIND, DocaAbi.DOCA_FLOW_SHARED_RESOURCE_MIRROR, ids, 1, flow.pf());
    }

    /** INGR_SAMPL: a packet whose sender set S goes on (a mirrored copy) and to the CPU (tagged) as a sample. */
    private MemorySegment ingressSampling(MemorySegment rss, MemorySegment classifier) {
        MemorySegment template = match();
        Structs.set(template, MATCH, "tun.type", DocaAbi.DOCA_FLOW_TUN_PSP);
        Structs.set(template, MATCH, "tun.psp.s_d_ver_v", SAMPLE_BIT);
        MemorySegment tag = actions();
        Structs.set(tag, ACTIONS, "meta.pkt_meta", INGRESS_SAMPLE_TAG);
        MemorySegment tagMask = actions();
        Structs.allOnes(tagMask, ACTIONS, "meta.pkt_meta");
        MemorySegment pipe = pipe("INGR_SAMPL", DOCA_FLOW_PIPE_DOMAIN_DEFAULT, 0, 1, true, template, template, Fwd.pipe(arena, rss),
                Fwd.pipe(arena, classifier), b -> b.actionsWithMask(tag, tagMask).monitor(Fwd.counterAndMirror(arena, MIRROR_TO_CLASSIFIER)));
        entry("INGR_SAMPL", pipe, MemorySegment.NULL, MemorySegment.NULL, Fwd.NONE);
        return pipe;
    }

    /** PSP_DECRYPT: PSP over UDP 1000 from the wire is decrypted with the key its SPI derives. */
    private MemorySegment decrypt(MemorySegment next) {
        MemorySegment template = match();
        Structs.set(template, MATCH, "parser_meta.port_id", 0xFFFF);
        Structs.set(template, MATCH, "parser_meta.outer_l4_type", DocaAbi.DOCA_FLOW_L4_META_UDP);
        Structs.set(template, MATCH, "outer.l4_type_ext", DocaAbi.DOCA_FLOW_L4_TYPE_EXT_UDP);
        Structs.set(template, MATCH, "outer.udp.l4_port.dst_port", PspHeader.UDP_PORT);
        MemorySegment decrypt = actions();
        Structs.set(decrypt, ACTIONS, "crypto.action_type", DocaAbi.DOCA_FLOW_CRYPTO_ACTION_DECRYPT);
        Structs.set(decrypt, ACTIONS, "crypto.resource_type", DocaAbi.DOCA_FLOW_CRYPTO_RESOURCE_PSP);
        Structs.set(decrypt, ACTIONS, "crypto.crypto_id", DocaAbi.DOCA_FLOW_PSP_DECRYPTION_ID);
        MemorySegment pipe = pipe("PSP_DECRYPT", DOCA_FLOW_PIPE_DOMAIN_SECURE_INGRESS, DOCA_FLOW_DIRECTION_NETWORK_TO_HOST, 1, true,
                template, null, Fwd.pipe(arena, next), Fwd.drop(arena), b -> b.actions(decrypt));
        MemorySegment m = match();
        Structs.set(m, MATCH, "parser_meta.port_id", PF_PORT_ID);
        entry("PSP_DECRYPT", pipe, m, decrypt, Fwd.NONE);
        return pipe;
    }

    // ---- egress -------------------------------------------------------------------------------

    /** EGR_SAMPL: a packet with S set is copied to the CPU (mirror 2) and sent; with --maintain-order the rest pass a mirror too. */
    private MemorySegment egressSampling(MemorySegment toWire) {
        MemorySegment template = match();
        Structs.set(template, MATCH, "tun.type", DocaAbi.DOCA_FLOW_TUN_PSP);
        Structs.allOnes(template, MATCH, "tun.psp.s_d_ver_v");
        MemorySegment mask = match();
        Structs.allOnes(mask, MATCH, "tun.type");
        Structs.set(mask, MATCH, "tun.psp.s_d_ver_v", SAMPLE_BIT);
        MemorySegment miss = settings.maintainOrder() ? Fwd.drop(arena) : Fwd.pipe(arena, toWire);
        MemorySegment pipe = pipe("EGR_SAMPL", DOCA_FLOW_PIPE_DOMAIN_SECURE_EGRESS, 0, 2, true, template, mask, Fwd.pipe(arena, toWire), miss,
                b -> b.monitor(Fwd.counterAndMirror(arena, ALL_ONES)));
        egressSamplingEntry(pipe, SAMPLE_BIT, MIRROR_TO_RSS);
        if (settings.maintainOrder()) {
            egressSamplingEntry(pipe, 0, MIRROR_DROP);
        }
        return pipe;
    }

    private void egressSamplingEntry(MemorySegment pipe, int sampleBit, int mirror) {
        MemorySegment m = match();
        Structs.set(m, MATCH, "tun.type", DocaAbi.DOCA_FLOW_TUN_PSP);
        Structs.set(m, MATCH, "tun.psp.s_d_ver_v", sampleBit);
        entry("EGR_SAMPL: " + (sampleBit != 0 ? "sampled" : "not sampled"), pipe, m, MemorySegment.NULL, Fwd.NONE,
                Fwd.counterAndMirror(arena, mirror));
    }

    /** EGR_SET_SAMPLE_BIT: one packet in 2^N at random gets S set in its PSP header. */
    private MemorySegment setSampleBit(MemorySegment egressSampling) {
        MemorySegment template = match();
        Structs.set(template, MATCH, "parser_meta.random", 1);
        MemorySegment mask = match();
        Structs.set(mask, MATCH, "parser_meta.random", (1 << settings.sampleRateLog2()) - 1);
        MemorySegment setBit = actions();
        Structs.set(setBit, ACTIONS, "tun.type", DocaAbi.DOCA_FLOW_TUN_PSP);
        Structs.set(setBit, ACTIONS, "tun.psp.s_d_ver_v", SAMPLE_BIT);
        MemorySegment pipe = pipe("EGR_SET_SAMPLE_BIT", DOCA_FLOW_PIPE_DOMAIN_EGRESS, 0, 1, true, template, mask,
                Fwd.pipe(arena, egressSampling), Fwd.pipe(arena, egressSampling), b -> b.actionsWithMask(setBit, setBit));
        entry("EGR_SET_SAMPLE_BIT", pipe, MemorySegment.NULL, MemorySegment.NULL, Fwd.NONE);
        return pipe;
    }

    /** EGR_ACL_IPV4 / _IPV6: the encrypt pipes, an entry per tunnel; what no tunnel covers goes to the CPU. */
    private MemorySegment egressAcl(String name, boolean ipv6, MemorySegment fwd, MemorySegment rss) {
        MemorySegment template = match();
        Structs.set(template, MATCH, "parser_meta.outer_l3_type", ipv6 ? DocaAbi.DOCA_FLOW_L3_META_IPV6 : DocaAbi.DOCA_FLOW_L3_META_IPV4);
        Structs.set(template, MATCH, "outer.l3_type", ipv6 ? DocaAbi.DOCA_FLOW_L3_TYPE_IP6 : DocaAbi.DOCA_FLOW_L3_TYPE_IP4);
        if (ipv6) {
            Structs.allOnes(template, MATCH, "meta.u32[" + IngressAclMatches.PEER_INDEX_WORD + "]");
            Structs.allOnes(template, MATCH, "outer.ip6.src_ip");
        } else {
            Structs.allOnes(template, MATCH, "outer.ip4.src_ip");
            Structs.allOnes(template, MATCH, "outer.ip4.dst_ip");
        }
        MemorySegment outerIpv6 = encryptTemplate(true);
        MemorySegment outerIpv4 = encryptTemplate(false);
        return pipe(name, DOCA_FLOW_PIPE_DOMAIN_SECURE_EGRESS, DOCA_FLOW_DIRECTION_HOST_TO_NETWORK, settings.maxTunnels(), true, template,
                null, fwd, Fwd.pipe(arena, rss), b -> b.actions(outerIpv6, outerIpv4));
    }

    /** Action template {@link EncryptActions#TEMPLATE_IPV6} or {@link EncryptActions#TEMPLATE_IPV4}: the header each entry pushes. */
    private MemorySegment encryptTemplate(boolean ipv6) {
        MemorySegment a = actions();
        boolean tunnel = settings.mode() == PspMode.TUNNEL;
        int length = EncryptActions.headerLength(settings.mode(), ipv6, settings.cookie());
        Structs.set(a, ACTIONS, "action_idx", ipv6 ? EncryptActions.TEMPLATE_IPV6 : EncryptActions.TEMPLATE_IPV4);
        Structs.set(a, ACTIONS, "has_crypto_encap", 1);
        Structs.set(a, ACTIONS, "crypto_encap.action_type", DocaAbi.DOCA_FLOW_CRYPTO_REFORMAT_ENCAP);
        Structs.set(a, ACTIONS, "crypto_encap.net_type", tunnel ? DocaAbi.DOCA_FLOW_CRYPTO_HEADER_PSP_TUNNEL
                : ipv6 ? DocaAbi.DOCA_FLOW_CRYPTO_HEADER_PSP_OVER_IPV6 : DocaAbi.DOCA_FLOW_CRYPTO_HEADER_PSP_OVER_IPV4);
        Structs.set(a, ACTIONS, "crypto_encap.icv_size", PspHeader.ICV_LENGTH);
        Structs.set(a, ACTIONS, "crypto_encap.data_size", length);
        a.asSlice(ACTIONS.byteOffset(groupElement("crypto_encap"),
                groupElement("encap_data")), length).fill((byte) 0xFF);
        Structs.set(a, ACTIONS, "crypto.action_type", DocaAbi.DOCA_FLOW_CRYPTO_ACTION_ENCRYPT);
        Structs.set(a, ACTIONS, "crypto.resource_type", DocaAbi.DOCA_FLOW_CRYPTO_RESOURCE_PSP);
        Structs.allOnes(a, ACTIONS, "crypto.crypto_id");
        return a;
    }

    /** EGR_ACL: an IPv6 packet's destination VIP gives the peer's index, which EGR_ACL_IPV6 matches with the source. */
    private MemorySegment egressDestinationIpv6(MemorySegment egressIpv6, MemorySegment rss) {
        MemorySegment template = match();
        Structs.set(template, MATCH, "parser_meta.outer_l3_type", DocaAbi.DOCA_FLOW_L3_META_IPV6);
        Structs.set(template, MATCH, "outer.l3_type", DocaAbi.DOCA_FLOW_L3_TYPE_IP6);
        Structs.allOnes(template, MATCH, "outer.ip6.dst_ip");
        MemorySegment tag = actions();
        Structs.allOnes(tag, ACTIONS, "meta.u32[" + IngressAclMatches.PEER_INDEX_WORD + "]");
        return pipe("EGR_ACL", DOCA_FLOW_PIPE_DOMAIN_SECURE_EGRESS, DOCA_FLOW_DIRECTION_HOST_TO_NETWORK, settings.maxTunnels(), true, template,
                null, Fwd.pipe(arena, egressIpv6), Fwd.pipe(arena, rss), b -> b.actions(tag));
    }

    /** EMPTY, the egress root: replies the CPU made go to the VF; IPv4 and IPv6 from the VF to the encrypt pipes. */
    private MemorySegment egressRoot(MemorySegment egressIpv4, MemorySegment egressByDestination) {
        MemorySegment template = match();
        Structs.set(template, MATCH, "outer.eth.type", 0xFFFF);
        Structs.allOnes(template, MATCH, "meta.pkt_meta");
        MemorySegment pipe = pipe("EMPTY", DOCA_FLOW_PIPE_DOMAIN_EGRESS, 0, 4, true, template, template, Fwd.changeable(arena),
                Fwd.drop(arena), PipeBuilder::root);
        egressRootEntry(pipe, "ARP reply to the VF", Ethernet.TYPE_ARP, TO_VF_TAG, Fwd.port(arena, VF_PORT_ID));
        egressRootEntry(pipe, "neighbour advertisement to the VF", Ethernet.TYPE_IPV6, TO_VF_TAG, Fwd.port(arena, VF_PORT_ID));
        egressRootEntry(pipe, "IPv4 to encrypt", Ethernet.TYPE_IPV4, TO_ENCRYPT_TAG, Fwd.pipe(arena, egressIpv4));
        egressRootEntry(pipe, "IPv6 to encrypt", Ethernet.TYPE_IPV6, TO_ENCRYPT_TAG, Fwd.pipe(arena, egressByDestination));
        return pipe;
    }

    private void egressRootEntry(MemorySegment pipe, String what, int etherType, int tag, MemorySegment fwd) {
        MemorySegment m = match();
        Structs.set(m, MATCH, "outer.eth.type", etherType);
        Structs.set(m, MATCH, "meta.pkt_meta", tag);
        entry("EMPTY: " + what, pipe, m, MemorySegment.NULL, fwd);
    }

    // ---- the root -----------------------------------------------------------------------------

    /** ROOT: by port and family, the wire's traffic to decryption, the VF's to the egress root, neighbour discovery to its handler. */
    private void root(MemorySegment decrypt, MemorySegment egressRoot, MemorySegment rss) {
        boolean tunnel = settings.mode() == PspMode.TUNNEL;
        MemorySegment pipe;
        try (PipeBuilder b = new PipeBuilder(flow, arena, "ROOT")) {
            pipe = b.type(DocaAbi.DOCA_FLOW_PIPE_CONTROL).domain(DOCA_FLOW_PIPE_DOMAIN_DEFAULT).root().entries(tunnel ? 7 : 9)
                    .create(Fwd.NONE, Fwd.NONE);
        }
        pipes.put("ROOT", pipe);
        MemorySegment mask = match();
        Structs.set(mask, MATCH, "parser_meta.port_id", 0xFFFF);
        Structs.set(mask, MATCH, "parser_meta.outer_l3_ok", 0xFF);
        Structs.set(mask, MATCH, "parser_meta.outer_ip4_checksum_ok", 0xFF);
        Structs.set(mask, MATCH, "outer.eth.type", 0xFFFF);
        rootEntry(pipe, "wire IPv6 to decrypt", 2, PF_PORT_ID, Ethernet.TYPE_IPV6, true, false, mask, Fwd.pipe(arena, decrypt));
        rootEntry(pipe, "wire IPv4 to decrypt", 1, PF_PORT_ID, Ethernet.TYPE_IPV4, true, true, mask, Fwd.pipe(arena, decrypt));
        rootEntry(pipe, "VF IPv6 to egress", 2, VF_PORT_ID, Ethernet.TYPE_IPV6, false, false, mask, Fwd.pipe(arena, egressRoot));
        rootEntry(pipe, "VF IPv4 to egress", 2, VF_PORT_ID, Ethernet.TYPE_IPV4, false, false, mask, Fwd.pipe(arena, egressRoot));
        MemorySegment solicitationMask = match();
        MemorySegment.copy(mask, 0, solicitationMask, 0, MATCH.byteSize());
        Structs.set(solicitationMask, MATCH, "parser_meta.outer_l3_type", ALL_ONES);
        Structs.set(solicitationMask, MATCH, "parser_meta.outer_l4_type", ALL_ONES);
        Structs.set(solicitationMask, MATCH, "outer.l4_type_ext", ALL_ONES);
        Structs.set(solicitationMask, MATCH, "outer.ip6.next_proto", 0xFF);
        Structs.set(solicitationMask, MATCH, "outer.icmp.type", 0xFF);
        if (tunnel) {
            // the VF's neighbours are answered by the CPU (the slow path), with the PF's address
            rootEntry(pipe, "VF ARP to the CPU", 3, VF_PORT_ID, Ethernet.TYPE_ARP, false, false, mask, Fwd.rss(arena, settings.queues()));
            solicitationEntry(pipe, "VF neighbour solicitation to the CPU", VF_PORT_ID, solicitationMask, Fwd.rss(arena, settings.queues()));
        } else {
            // transport mode keeps the hosts' own addresses: neighbour discovery passes between VF and wire
            rootEntry(pipe, "VF ARP to the wire", 3, VF_PORT_ID, Ethernet.TYPE_ARP, false, false, mask, Fwd.port(arena, PF_PORT_ID));
            rootEntry(pipe, "wire ARP to the VF", 3, PF_PORT_ID, Ethernet.TYPE_ARP, false, false, mask, Fwd.port(arena, VF_PORT_ID));
            solicitationEntry(pipe, "VF neighbour solicitation to the wire", VF_PORT_ID, solicitationMask, Fwd.port(arena, PF_PORT_ID));
            solicitationEntry(pipe, "wire neighbour solicitation to the VF", PF_PORT_ID, solicitationMask, Fwd.port(arena, VF_PORT_ID));
        }
        controlEntry("ROOT: anything else dropped", pipe, 4, match(), match(), Fwd.drop(arena));
    }

    private void rootEntry(MemorySegment pipe, String what, int priority, short port, int etherType, boolean l3Ok, boolean checksumOk,
                           MemorySegment mask, MemorySegment fwd) {
        MemorySegment m = match();
        Structs.set(m, MATCH, "parser_meta.port_id", port);
        Structs.set(m, MATCH, "parser_meta.outer_l3_ok", l3Ok ? 1 : 0);
        Structs.set(m, MATCH, "parser_meta.outer_ip4_checksum_ok", checksumOk ? 1 : 0);
        Structs.set(m, MATCH, "outer.eth.type", etherType);
        controlEntry("ROOT: " + what, pipe, priority, m, mask, fwd);
    }

    private void solicitationEntry(MemorySegment pipe, String what, short port, MemorySegment mask, MemorySegment fwd) {
        MemorySegment m = match();
        Structs.set(m, MATCH, "parser_meta.port_id", port);
        Structs.set(m, MATCH, "outer.eth.type", Ethernet.TYPE_IPV6);
        Structs.set(m, MATCH, "parser_meta.outer_l3_type", DocaAbi.DOCA_FLOW_L3_META_IPV6);
        Structs.set(m, MATCH, "parser_meta.outer_l4_type", DocaAbi.DOCA_FLOW_L4_META_ICMP);
        Structs.set(m, MATCH, "outer.l4_type_ext", DocaAbi.DOCA_FLOW_L4_TYPE_EXT_ICMP6);
        Structs.set(m, MATCH, "outer.ip6.next_proto", PROTO_ICMP6);
        Structs.set(m, MATCH, "outer.icmp.type", ICMP6_NEIGHBOUR_SOLICITATION);
        controlEntry("ROOT: " + what, pipe, 1, m, mask, fwd);
    }

    // ---- building blocks ----------------------------------------------------------------------

    private interface Configure {
        PipeBuilder apply(PipeBuilder builder);
    }

    /** A BASIC pipe: direction 0 leaves it unset; a mask equal to the template is passed as the template itself. */
    private MemorySegment pipe(String name, int domain, int direction, int entries, boolean missCounter, MemorySegment template,
                               MemorySegment mask, MemorySegment fwd, MemorySegment miss, Configure more) {
        try (PipeBuilder b = new PipeBuilder(flow, arena, name)) {
            b.type(DocaAbi.DOCA_FLOW_PIPE_BASIC).domain(domain);
            if (direction != 0) {
                b.direction(direction);
            }
            b.entries(entries);
            if (missCounter) {
                b.missCounter();
            }
            b.match(template, mask == null ? MemorySegment.NULL : mask);
            MemorySegment pipe = more.apply(b).create(fwd, miss);
            pipes.put(name, pipe);
            return pipe;
        }
    }

    private void entry(String name, MemorySegment pipe, MemorySegment match, MemorySegment actions, MemorySegment fwd) {
        entry(name, pipe, match, actions, fwd, Fwd.counter(arena));
    }

    private void entry(String name, MemorySegment pipe, MemorySegment match, MemorySegment actions, MemorySegment fwd, MemorySegment monitor) {
        staticEntries.put(name, queue.add(arena, () -> name, (context, entry) -> flow.doca().addEntry(EntryQueue.QUEUE,
                pipe, match, actions, monitor, fwd, DocaAbi.DOCA_FLOW_NO_WAIT, context, entry)).handle());
    }

    private void controlEntry(String name, MemorySegment pipe, int priority, MemorySegment match, MemorySegment mask, MemorySegment fwd) {
        MemorySegment monitor = Fwd.counter(arena);
        staticEntries.put(name, queue.add(arena, () -> name, (context, entry) -> flow.doca().call(DocaSymbol.DOCA_FLOW_PIPE_CONTROL_ADD_ENTRY,
                EntryQueue.QUEUE, priority, pipe, match, mask, MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL,
                MemorySegment.NULL, monitor, fwd, context, entry)).handle());
    }

    private MemorySegment match() {
        return arena.allocate(MATCH);
    }

    private MemorySegment actions() {
        return arena.allocate(ACTIONS);
    }
}
