package io.pspgateway.dataplane.doca;

import io.pspgateway.psp.PspMode;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.net.Inet4Address;
import java.net.Inet6Address;

/**
 * The match of each ingress ACL entry (BACKEND-NOTES 2.9): a decrypted packet is let through to
 * the VF only if its SPI and VIP pair are those a tunnel was granted for. The VIPs are read
 * from the inner header in tunnel mode and from the packet's own header in transport mode.
 *
 * <p>IPv4 takes one entry. An IPv6 VIP pair does not fit one match, so it takes two: the first
 * (ING_SRC_IP6) matches SPI and peer VIP and tags the packet with the peer's small index in
 * {@code meta.u32[2]}; the second (INGR_ACL_IPV6) matches the index and the local VIP. The index
 * is written big-endian on both sides (the scratch pad's type), so the two agree whatever the
 * host order.
 */
final class IngressAclMatches {
    /** The scratch-pad word that carries an IPv6 peer's index from one pipe to the next. */
    static final int PEER_INDEX_WORD = 2;
    static final Structs.Field MATCH_PEER_INDEX = Structs.field(DocaAbi.MATCH, "meta.u32[" + PEER_INDEX_WORD + "]");

    private static final Structs.Field ACTIONS_PEER_INDEX = Structs.field(DocaAbi.ACTIONS, "meta.u32[" + PEER_INDEX_WORD + "]");
    private static final Structs.Field TUN_TYPE = Structs.field(DocaAbi.MATCH, "tun.type");
    private static final Structs.Field SPI = Structs.field(DocaAbi.MATCH, "tun.psp.spi");

    /** The header an ACL reads the VIPs from: the inner one in tunnel mode, the packet's own in transport mode. */
    private record Header(Structs.Field l3Type, Structs.Field ip4Source, Structs.Field ip4Destination, Structs.Field ip6Source,
                          Structs.Field ip6Destination) {
        static Header of(String level) {
            return new Header(Structs.field(DocaAbi.MATCH, level + ".l3_type"), Structs.field(DocaAbi.MATCH, level + ".ip4.src_ip"),
                    Structs.field(DocaAbi.MATCH, level + ".ip4.dst_ip"), Structs.field(DocaAbi.MATCH, level + ".ip6.src_ip"),
                    Structs.field(DocaAbi.MATCH, level + ".ip6.dst_ip"));
        }
    }

    private static final Header INNER = Header.of("inner");
    private static final Header OUTER = Header.of("outer");

    private IngressAclMatches() {
    }

    /** INGR_ACL_IPV4: SPI, peer VIP as source, local VIP as destination. */
    static MemorySegment ipv4(SegmentAllocator allocator, PspMode mode, int spi, Inet4Address peerVip, Inet4Address localVip) {
        MemorySegment match = psp(allocator, spi);
        Header header = header(mode);
        header.l3Type().set(match, DocaAbi.DOCA_FLOW_L3_TYPE_IP4);
        header.ip4Source().set(match, peerVip.getAddress());
        header.ip4Destination().set(match, localVip.getAddress());
        return match;
    }

    /** ING_SRC_IP6: SPI and peer VIP as source; its actions ({@link #peerIndexActions}) tag the packet. */
    static MemorySegment ipv6Source(SegmentAllocator allocator, PspMode mode, int spi, Inet6Address peerVip) {
        MemorySegment match = psp(allocator, spi);
        header(mode).ip6Source().set(match, peerVip.getAddress());
        return match;
    }

    /** The actions of ING_SRC_IP6's entry: the peer's index into the scratch pad. */
    static MemorySegment peerIndexActions(SegmentAllocator allocator, int peerIndex) {
        MemorySegment actions = allocator.allocate(DocaAbi.ACTIONS);
        ACTIONS_PEER_INDEX.set(actions, peerIndex);
        return actions;
    }

    /** INGR_ACL_IPV6: the peer index the first entry set, and the local VIP as destination. */
    static MemorySegment ipv6Destination(SegmentAllocator allocator, PspMode mode, Inet6Address localVip, int peerIndex) {
        MemorySegment match = allocator.allocate(DocaAbi.MATCH);
        Header header = header(mode);
        header.l3Type().set(match, DocaAbi.DOCA_FLOW_L3_TYPE_IP6);
        MATCH_PEER_INDEX.set(match, peerIndex);
        header.ip6Destination().set(match, localVip.getAddress());
        return match;
    }

    /** A match with tunnel type PSP and the SPI, big-endian. */
    private static MemorySegment psp(SegmentAllocator allocator, int spi) {
        MemorySegment match = allocator.allocate(DocaAbi.MATCH);
        TUN_TYPE.set(match, DocaAbi.DOCA_FLOW_TUN_PSP);
        SPI.set(match, spi);
        return match;
    }

    private static Header header(PspMode mode) {
        return mode == PspMode.TUNNEL ? INNER : OUTER;
    }
}
