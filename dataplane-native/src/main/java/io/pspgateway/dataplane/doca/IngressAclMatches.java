package io.pspgateway.dataplane.doca;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.MemoryLayout.PathElement.sequenceElement;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.pspgateway.psp.PspMode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;
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

    private static final long TUN_TYPE = DocaAbi.MATCH.byteOffset(groupElement("tun"), groupElement("type"));
    private static final VarHandle SPI = DocaAbi.MATCH.varHandle(groupElement("tun"), groupElement("proto"), groupElement("psp"),
            groupElement("spi"));
    private static final VarHandle MATCH_PEER_INDEX = peerIndex(DocaAbi.MATCH);
    private static final VarHandle ACTIONS_PEER_INDEX = peerIndex(DocaAbi.ACTIONS);

    private IngressAclMatches() {
    }

    /** INGR_ACL_IPV4: SPI, peer VIP as source, local VIP as destination. */
    static MemorySegment ipv4(Arena arena, PspMode mode, int spi, Inet4Address peerVip, Inet4Address localVip) {
        MemorySegment match = psp(arena, spi);
        String level = level(mode);
        match.set(JAVA_INT, DocaAbi.MATCH.byteOffset(groupElement(level), groupElement("l3_type")), DocaAbi.DOCA_FLOW_L3_TYPE_IP4);
        copy(peerVip.getAddress(), match, address(level, "ip4", "src_ip"));
        copy(localVip.getAddress(), match, address(level, "ip4", "dst_ip"));
        return match;
    }

    /** ING_SRC_IP6: SPI and peer VIP as source; its actions ({@link #peerIndexActions}) tag the packet. */
    static MemorySegment ipv6Source(Arena arena, PspMode mode, int spi, Inet6Address peerVip) {
        MemorySegment match = psp(arena, spi);
        copy(peerVip.getAddress(), match, address(level(mode), "ip6", "src_ip"));
        return match;
    }

    /** The actions of ING_SRC_IP6's entry: the peer's index into the scratch pad. */
    static MemorySegment peerIndexActions(Arena arena, int peerIndex) {
        MemorySegment actions = arena.allocate(DocaAbi.ACTIONS);
        ACTIONS_PEER_INDEX.set(actions, 0L, peerIndex);
        return actions;
    }

    /** INGR_ACL_IPV6: the peer index the first entry set, and the local VIP as destination. */
    static MemorySegment ipv6Destination(Arena arena, PspMode mode, Inet6Address localVip, int peerIndex) {
        MemorySegment match = arena.allocate(DocaAbi.MATCH);
        String level = level(mode);
        match.set(JAVA_INT, DocaAbi.MATCH.byteOffset(groupElement(level), groupElement("l3_type")), DocaAbi.DOCA_FLOW_L3_TYPE_IP6);
        MATCH_PEER_INDEX.set(match, 0L, peerIndex);
        copy(localVip.getAddress(), match, address(level, "ip6", "dst_ip"));
        return match;
    }

    /** A match with tunnel type PSP and the SPI, big-endian. */
    private static MemorySegment psp(Arena arena, int spi) {
        MemorySegment match = arena.allocate(DocaAbi.MATCH);
        match.set(JAVA_INT, TUN_TYPE, DocaAbi.DOCA_FLOW_TUN_PSP);
        SPI.set(match, 0L, spi);
        return match;
    }

    private static String level(PspMode mode) {
        return mode == PspMode.TUNNEL ? "inner" : "outer";
    }

    private static long address(String level, String family, String field) {
        return DocaAbi.MATCH.byteOffset(groupElement(level), groupElement("l3"), groupElement(family), groupElement(field));
    }

    private static void copy(byte[] address, MemorySegment match, long offset) {
        MemorySegment.copy(address, 0, match, JAVA_BYTE, offset, address.length);
    }

    private static VarHandle peerIndex(StructLayout struct) {
        return struct.varHandle(groupElement("meta"), groupElement("u32"), sequenceElement(PEER_INDEX_WORD));
    }
}
