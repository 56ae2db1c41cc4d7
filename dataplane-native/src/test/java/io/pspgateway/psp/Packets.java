package io.pspgateway.psp;

/** The codec tests' inner packets (from {@link InnerPackets}) between fixed addresses, and their buffers. */
final class Packets {
    private Packets() {
    }

    private static final java.net.InetAddress V4_SOURCE = address("10.0.0.1");
    private static final java.net.InetAddress V4_DESTINATION = address("10.0.0.2");
    private static final java.net.InetAddress V6_SOURCE = address("fd00::1");
    private static final java.net.InetAddress V6_DESTINATION = address("fd00::2");

    /** An IPv4 UDP packet 10.0.0.1:sport -> 10.0.0.2:dport with {@code payload} bytes. */
    static byte[] ipv4Udp(int sport, int dport, int payload) {
        return InnerPackets.udp(V4_SOURCE, V4_DESTINATION, sport, dport, 0, payload);
    }

    /** An IPv6 UDP packet fd00::1:sport -> fd00::2:dport with {@code payload} bytes. */
    static byte[] ipv6Udp(int sport, int dport, int payload) {
        return InnerPackets.udp(V6_SOURCE, V6_DESTINATION, sport, dport, 0, payload);
    }

    static byte[] inner(int ipVersion, int payload) {
        return ipVersion == 6 ? ipv6Udp(4000, 5000, payload) : ipv4Udp(4000, 5000, payload);
    }

    private static java.net.InetAddress address(String literal) {
        try {
            return java.net.InetAddress.getByName(literal);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
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
