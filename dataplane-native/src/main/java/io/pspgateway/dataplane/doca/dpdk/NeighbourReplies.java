package io.pspgateway.dataplane.doca.dpdk;

import io.pspgateway.psp.Ethernet;
import io.pspgateway.psp.Ip;
import java.util.Arrays;

/**
 * The answers the slow path gives the VF's neighbour discovery, as the original does
 * (BACKEND-NOTES 2.13): every ARP request and every IPv6 neighbour solicitation that reaches the
 * CPU is answered with the PF's MAC, whatever address it asks for. The gateway is the VF's only
 * next hop: what the VF sends to any address must go through the NIC's egress pipes.
 */
final class NeighbourReplies {
    private static final int ARP_LENGTH = 28;
    private static final int ARP_REQUEST = 1;
    private static final int ARP_REPLY = 2;
    private static final int PROTO_ICMPV6 = 58;
    private static final int NEIGHBOUR_SOLICITATION = 135;
    private static final int NEIGHBOUR_ADVERTISEMENT = 136;
    /** Solicitation header: type, code, checksum, reserved, target. */
    private static final int NS_LENGTH = 24;
    /** Advertisement: the header and one target link-layer address option. */
    private static final int NA_LENGTH = 32;
    private static final int FLAG_SOLICITED = 0x40;
    private static final int FLAG_OVERRIDE = 0x20;
    private static final int OPTION_TARGET_LINK_LAYER = 2;
    private static final int MIN_FRAME = 60;

    private NeighbourReplies() {
    }

    /** True when {@code frame} is ARP or an IPv6 neighbour solicitation: neighbour discovery, never a miss. */
    static boolean isNeighbourDiscovery(byte[] frame) {
        int type = Ethernet.type(frame);
        return type == Ethernet.TYPE_ARP || type == Ethernet.TYPE_IPV6 && isSolicitation(frame);
    }

    /**
     * The answer to {@code frame}, from {@code mac}, or null when it is neither a well-formed ARP
     * request for IPv4 over Ethernet nor a well-formed neighbour solicitation.
     */
    static byte[] answer(byte[] frame, byte[] mac) {
        int type = Ethernet.type(frame);
        if (type == Ethernet.TYPE_ARP) {
            return arpReply(frame, mac);
        }
        return type == Ethernet.TYPE_IPV6 && isSolicitation(frame) ? advertisement(frame, mac) : null;
    }

    private static byte[] arpReply(byte[] request, byte[] mac) {
        int arp = Ethernet.HEADER;
        if (request.length < arp + ARP_LENGTH || Ip.u16(request, arp) != 1 || Ip.u16(request, arp + 2) != Ethernet.TYPE_IPV4
                || request[arp + 4] != 6 || request[arp + 5] != 4 || Ip.u16(request, arp + 6) != ARP_REQUEST) {
            return null;
        }
        byte[] reply = new byte[Math.max(MIN_FRAME, Ethernet.HEADER + ARP_LENGTH)];
        System.arraycopy(request, arp + 8, reply, 0, 6); // to the asker
        System.arraycopy(mac, 0, reply, 6, 6);
        Ip.putU16(reply, 12, Ethernet.TYPE_ARP);
        System.arraycopy(request, arp, reply, arp, 6); // hardware and protocol types and lengths
        Ip.putU16(reply, arp + 6, ARP_REPLY);
        System.arraycopy(mac, 0, reply, arp + 8, 6);                 // sender: us ...
        System.arraycopy(request, arp + 24, reply, arp + 14, 4);     // ... with the address asked for
        System.arraycopy(request, arp + 8, reply, arp + 18, 10);     // target: the asker's MAC and address
        return reply;
    }

    private static boolean isSolicitation(byte[] frame) {
        int ip = Ethernet.HEADER;
        int icmp = ip + Ip.IPV6_HEADER;
        return frame.length >= icmp + NS_LENGTH && Ip.version(frame, ip) == 6 && Ip.u8(frame, ip + 6) == PROTO_ICMPV6
                && Ip.u8(frame, ip + 7) == 255 && Ip.u8(frame, icmp) == NEIGHBOUR_SOLICITATION && Ip.u8(frame, icmp + 1) == 0;
    }

    private static byte[] advertisement(byte[] solicitation, byte[] mac) {
        int ip = Ethernet.HEADER;
        int icmp = ip + Ip.IPV6_HEADER;
        byte[] source = Arrays.copyOfRange(solicitation, ip + 8, ip + 24);
        // duplicate address detection asks from :: and is answered to all nodes, unsolicited (RFC 4861 7.2.4)
        boolean fromUnspecified = Arrays.equals(source, new byte[16]);
        byte[] reply = new byte[Math.max(MIN_FRAME, icmp + NA_LENGTH)];
        if (fromUnspecified) {
            System.arraycopy(new byte[] {0x33, 0x33, 0, 0, 0, 1}, 0, reply, 0, 6);
        } else {
            System.arraycopy(solicitation, 6, reply, 0, 6);
        }
        System.arraycopy(mac, 0, reply, 6, 6);
        Ip.putU16(reply, 12, Ethernet.TYPE_IPV6);
        Ip.putU32(reply, ip, 0x60000000L);
        Ip.putU16(reply, ip + 4, NA_LENGTH);
        reply[ip + 6] = (byte) PROTO_ICMPV6;
        reply[ip + 7] = (byte) 255;
        System.arraycopy(solicitation, icmp + 8, reply, ip + 8, 16); // from the address asked for
        if (fromUnspecified) {
            reply[ip + 24] = (byte) 0xFF;
            reply[ip + 25] = 0x02;
            reply[ip + 39] = 1;
        } else {
            System.arraycopy(source, 0, reply, ip + 24, 16);
        }
        reply[icmp] = (byte) NEIGHBOUR_ADVERTISEMENT;
        reply[icmp + 4] = (byte) (fromUnspecified ? FLAG_OVERRIDE : FLAG_SOLICITED | FLAG_OVERRIDE);
        System.arraycopy(solicitation, icmp + 8, reply, icmp + 8, 16);
        reply[icmp + 24] = OPTION_TARGET_LINK_LAYER;
        reply[icmp + 25] = 1; // in units of 8 bytes
        System.arraycopy(mac, 0, reply, icmp + 26, 6);
        Ip.putU16(reply, icmp + 2, Ip.transportChecksum(reply, ip, icmp, icmp + NA_LENGTH, PROTO_ICMPV6));
        return reply;
    }
}
