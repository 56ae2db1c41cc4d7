package io.pspgateway.dataplane.doca;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.pspgateway.dataplane.EncryptEntry;
import io.pspgateway.psp.Ethernet;
import io.pspgateway.psp.Ip;
import io.pspgateway.psp.PspHeader;
import io.pspgateway.psp.PspMode;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.nio.ByteBuffer;

/**
 * The actions of one encrypt entry (BACKEND-NOTES 2.8): which of the egress pipe's two action
 * templates, the key slot, and the header the NIC pushes in front of the packet, written here
 * field by field. What the hardware fills in is left zero: the IP lengths and the IPv4 checksum,
 * the UDP source port (from the inner flow's hash), the UDP length and checksum, and the IV.
 *
 * <p>The outer IP header carries the same fixed fields as the soft backend's (TTL and hop limit
 * 64, DF set on IPv4), so a capture looks alike whichever backend sent it.
 */
final class EncryptActions {
    /** The egress pipe's template for an IPv6 outer header (tunnel) or IPv6 packet (transport); the other is IPv4. */
    static final int TEMPLATE_IPV6 = 0;
    static final int TEMPLATE_IPV4 = 1;

    private static final int TTL = 64;
    private static final int DONT_FRAGMENT = 0x4000;

    private static final long ACTION_IDX = DocaAbi.ACTIONS.byteOffset(groupElement("action_idx"));
    private static final long HAS_CRYPTO_ENCAP = DocaAbi.ACTIONS.byteOffset(groupElement("has_crypto_encap"));
    private static final long ENCAP_DATA = DocaAbi.ACTIONS.byteOffset(groupElement("crypto_encap"), groupElement("encap_data"));
    private static final long CRYPTO_ID = DocaAbi.ACTIONS.byteOffset(groupElement("crypto"), groupElement("crypto_id"));

    private EncryptActions() {
    }

    /** The template an entry uses: by the outer family in tunnel mode, by the packet's own in transport mode. */
    static int template(EncryptEntry entry) {
        boolean ipv6 = entry.mode() == PspMode.TUNNEL ? entry.peerOuter() instanceof Inet6Address : entry.sourceVip() instanceof Inet6Address;
        return ipv6 ? TEMPLATE_IPV6 : TEMPLATE_IPV4;
    }

    /**
     * A {@code doca_flow_actions} from {@code allocator} for {@code entry}, whose key is in crypto id
     * {@code cryptoId}; {@code sourceMac} is the PF's, {@code destinationMac} the next hop's.
     */
    static MemorySegment of(SegmentAllocator allocator, EncryptEntry entry, int cryptoId, byte[] sourceMac, byte[] destinationMac) {
        byte[] header = encapHeader(entry, sourceMac, destinationMac);
        MemorySegment actions = allocator.allocate(DocaAbi.ACTIONS);
        actions.set(JAVA_BYTE, ACTION_IDX, (byte) template(entry));
        actions.set(JAVA_BOOLEAN, HAS_CRYPTO_ENCAP, true);
        MemorySegment.copy(header, 0, actions, JAVA_BYTE, ENCAP_DATA, header.length);
        actions.set(JAVA_INT, CRYPTO_ID, cryptoId);
        return actions;
    }

    /** Length of the pushed header: the egress pipe's templates reserve exactly this. */
    static int headerLength(PspMode mode, boolean outerIpv6, boolean withCookie) {
        int psp = Ip.UDP_HEADER + PspHeader.length(withCookie);
        return mode == PspMode.TRANSPORT ? psp : Ethernet.HEADER + (outerIpv6 ? Ip.IPV6_HEADER : Ip.IPV4_MIN_HEADER) + psp;
    }

    /** Ethernet, outer IP, UDP and PSP (tunnel mode), or UDP and PSP (transport mode). */
    static byte[] encapHeader(EncryptEntry entry, byte[] sourceMac, byte[] destinationMac) {
        boolean outerIpv6 = entry.peerOuter() instanceof Inet6Address;
        boolean withCookie = entry.cookie() != null;
        ByteBuffer b = ByteBuffer.allocate(headerLength(entry.mode(), outerIpv6, withCookie));
        int nextHeader = 0; // transport mode: the NIC takes it from the packet's own header
        if (entry.mode() == PspMode.TUNNEL) {
            b.put(destinationMac).put(sourceMac).putShort((short) (outerIpv6 ? Ethernet.TYPE_IPV6 : Ethernet.TYPE_IPV4));
            if (outerIpv6) {
                b.putInt(0x60000000).putShort((short) 0).put((byte) Ip.PROTO_UDP).put((byte) TTL);
            } else {
                b.put((byte) 0x45).put((byte) 0).putShort((short) 0).putShort((short) 0).putShort((short) DONT_FRAGMENT)
                        .put((byte) TTL).put((byte) Ip.PROTO_UDP).putShort((short) 0);
            }
            b.put(entry.localOuter().getAddress()).put(entry.peerOuter().getAddress());
            nextHeader = entry.sourceVip() instanceof Inet4Address ? Ip.PROTO_IPV4 : Ip.PROTO_IPV6;
        }
        b.putShort((short) 0).putShort((short) PspHeader.UDP_PORT).putInt(0);
        // PSP: next header, header extension length in 8-byte units beyond the first 8, crypt
        // offset in 4-byte words, then S=0 D=0, the version, V (a cookie follows) and the bit
        // that is always 1; the SPI; the IV, which the NIC writes
        b.put((byte) nextHeader)
                .put((byte) (withCookie ? PspHeader.EXT_LEN_WITH_VC : PspHeader.EXT_LEN_NO_VC))
                .put((byte) entry.cryptOffsetWords())
                .put((byte) (entry.version().wire() << 2 | (withCookie ? 0x02 : 0) | 0x01))
                .putInt(entry.spi())
                .putLong(0);
        if (withCookie) {
            b.putLong(entry.cookie());
        }
        return b.array();
    }
}
