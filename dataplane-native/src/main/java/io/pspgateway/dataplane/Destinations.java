package io.pspgateway.dataplane;

/**
 * Which inner destinations no tunnel can serve. A VIP is a unicast address a peer owns; what the
 * host's kernel sends into the TUN device besides its workloads' traffic — router solicitations to
 * {@code ff02::2}, MLD reports, mDNS, DHCP broadcasts — is for this link alone, and a miss for it
 * must not start a set-up (the original answers neighbour discovery from the VF on the NIC and
 * tunnels none of it). Works on the packet's bytes: the slow path of every backend calls it.
 */
public final class Destinations {
    private Destinations() {
    }

    /**
     * True when the destination of the IP header at {@code l3} is multicast, link-local, broadcast,
     * loopback or unspecified (IPv4 224/4, 240/4 and 255.255.255.255, 169.254/16, 127/8, 0/8; IPv6
     * ff00::/8, fe80::/10, ::1, ::). The caller has checked that the header is there.
     */
    public static boolean untunnellable(byte[] b, int l3, boolean ipv6) {
        if (!ipv6) {
            int first = b[l3 + 16] & 0xFF;
            int second = b[l3 + 17] & 0xFF;
            return first >= 224 || first == 127 || first == 0 || (first == 169 && second == 254);
        }
        int d = l3 + 24;
        int first = b[d] & 0xFF;
        if (first == 0xFF || (first == 0xFE && (b[d + 1] & 0xC0) == 0x80)) {
            return true;
        }
        for (int i = 0; i < 15; i++) {
            if (b[d + i] != 0) {
                return false;
            }
        }
        return (b[d + 15] & 0xFE) == 0;
    }
}
