package io.pspgateway.psp;

/** Builders of well-formed inner packets for codec tests. */
final class Packets {
    private Packets() {
    }

    /** An IPv4 UDP packet 10.0.0.1:sport -> 10.0.0.2:dport with {@code payload} bytes 0, 1, 2, ... */
    static byte[] ipv4Udp(int sport, int dport, int payload) {
        byte[] p = new byte[20 + 8 + payload];
        p[0] = 0x45;
        Ip.putU16(p, 2, p.length);
        Ip.putU16(p, 4, 0x1234);
        p[8] = 64;
        p[9] = Ip.PROTO_UDP;
        p[12] = 10;
        p[15] = 1;
        p[16] = 10;
        p[19] = 2;
        Ip.fixIpv4Checksum(p, 0, 20);
        udp(p, 20, sport, dport, payload);
        return p;
    }

    /** An IPv6 UDP packet fd00::1:sport -> fd00::2:dport with {@code payload} bytes. */
    static byte[] ipv6Udp(int sport, int dport, int payload) {
        byte[] p = new byte[40 + 8 + payload];
        p[0] = 0x60;
        Ip.putU16(p, 4, 8 + payload);
        p[6] = Ip.PROTO_UDP;
        p[7] = 64;
        p[8] = (byte) 0xfd;
        p[23] = 1;
        p[24] = (byte) 0xfd;
        p[39] = 2;
        udp(p, 40, sport, dport, payload);
        return p;
    }

    static byte[] inner(int ipVersion, int payload) {
        return ipVersion == 6 ? ipv6Udp(4000, 5000, payload) : ipv4Udp(4000, 5000, payload);
    }

    private static void udp(byte[] p, int off, int sport, int dport, int payload) {
        Ip.putU16(p, off, sport);
        Ip.putU16(p, off + 2, dport);
        Ip.putU16(p, off + 4, 8 + payload);
        for (int i = 0; i < payload; i++) {
            p[off + 8 + i] = (byte) i;
        }
    }

    static PacketBuffer load(byte[] packet) {
        PacketBuffer pkt = new PacketBuffer(PacketBuffer.DEFAULT_HEADROOM + packet.length + 64);
        if (!pkt.load(packet, 0, packet.length, PacketBuffer.DEFAULT_HEADROOM)) {
            throw new IllegalArgumentException("packet too big for a test buffer");
        }
        return pkt;
    }
}
