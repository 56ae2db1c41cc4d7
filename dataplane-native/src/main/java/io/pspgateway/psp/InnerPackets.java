package io.pspgateway.psp;

import java.net.InetAddress;

/**
 * Well-formed workload packets, as a host behind a gateway sends them: what the demo, the tests and
 * the benchmarks push through tunnels. The IP version follows the addresses (both of one family).
 * Every checksum is right, so the kernel accepts them on a TUN device too. Each packet carries a
 * sequence number that {@link #sequence} reads back from it: in the first four payload bytes of a
 * UDP datagram (a shorter one carries none), in the TCP sequence number, in the ICMP echo sequence field.
 *
 * <p>Payload bytes after the sequence number count up from 0 (mod 256), so a corrupted byte shows.
 */
public final class InnerPackets {
    /** The UDP ports of {@link #udp(InetAddress, InetAddress, int)}. */
    public static final int SOURCE_PORT = 5000;
    public static final int DESTINATION_PORT = 6000;
    /** The payload length of {@link #udp(InetAddress, InetAddress, int)}. */
    public static final int DEFAULT_PAYLOAD = 64;

    private static final int PROTO_ICMP = 1;
    private static final int PROTO_ICMPV6 = 58;
    private static final int TCP_HEADER = 20;
    private static final int ICMP_ECHO_HEADER = 8;

    private InnerPackets() {
    }

    /** A UDP datagram {@code src}:5000 → {@code dst}:6000 with a 64-byte payload starting with {@code seq}. */
    public static byte[] udp(InetAddress src, InetAddress dst, int seq) {
        return udp(src, dst, SOURCE_PORT, DESTINATION_PORT, seq, DEFAULT_PAYLOAD);
    }

    /** A UDP datagram 5000 → 6000 with {@code payload} bytes, the first four {@code seq}. */
    public static byte[] udp(InetAddress src, InetAddress dst, int seq, int payload) {
        return udp(src, dst, SOURCE_PORT, DESTINATION_PORT, seq, payload);
    }

    /** A UDP datagram with {@code payload} bytes, the first four (if there are four) {@code seq}. */
    public static byte[] udp(InetAddress src, InetAddress dst, int sport, int dport, int seq, int payload) {
        requireAtLeast(payload, 0);
        byte[] p = ip(src, dst, Ip.PROTO_UDP, Ip.UDP_HEADER + payload);
        int l4 = headerLength(p);
        Ip.putU16(p, l4, sport);
        Ip.putU16(p, l4 + 2, dport);
        Ip.putU16(p, l4 + 4, Ip.UDP_HEADER + payload);
        fillPayload(p, l4 + Ip.UDP_HEADER, seq);
        int sum = Ip.transportChecksum(p, 0, l4, p.length, Ip.PROTO_UDP);
        Ip.putU16(p, l4 + 6, sum == 0 ? 0xFFFF : sum);
        return p;
    }

    /** A TCP segment (PSH, ACK) with sequence number {@code seq} and {@code payload} data bytes. */
    public static byte[] tcp(InetAddress src, InetAddress dst, int sport, int dport, int seq, int payload) {
        requireAtLeast(payload, 0);
        byte[] p = ip(src, dst, Ip.PROTO_TCP, TCP_HEADER + payload);
        int l4 = headerLength(p);
        Ip.putU16(p, l4, sport);
        Ip.putU16(p, l4 + 2, dport);
        Ip.putU32(p, l4 + 4, seq);
        Ip.putU32(p, l4 + 8, 1);
        p[l4 + 12] = (byte) ((TCP_HEADER / 4) << 4);
        p[l4 + 13] = 0x18;
        Ip.putU16(p, l4 + 14, 0xFFFF);
        for (int i = 0; i < payload; i++) {
            p[l4 + TCP_HEADER + i] = (byte) i;
        }
        Ip.putU16(p, l4 + 16, Ip.transportChecksum(p, 0, l4, p.length, Ip.PROTO_TCP));
        return p;
    }

    /** An ICMP (IPv4) or ICMPv6 echo request with identifier {@code id}, sequence {@code seq} (16 bits) and {@code payload} bytes. */
    public static byte[] icmpEcho(InetAddress src, InetAddress dst, int id, int seq, int payload) {
        requireAtLeast(payload, 0);
        boolean v6 = src.getAddress().length == 16;
        int protocol = v6 ? PROTO_ICMPV6 : PROTO_ICMP;
        byte[] p = ip(src, dst, protocol, ICMP_ECHO_HEADER + payload);
        int l4 = headerLength(p);
        p[l4] = (byte) (v6 ? 128 : 8);
        Ip.putU16(p, l4 + 4, id);
        Ip.putU16(p, l4 + 6, seq);
        for (int i = 0; i < payload; i++) {
            p[l4 + ICMP_ECHO_HEADER + i] = (byte) i;
        }
        // ICMPv6 covers a pseudo-header, ICMP for IPv4 does not
        Ip.putU16(p, l4 + 2, v6 ? Ip.transportChecksum(p, 0, l4, p.length, protocol) : Ip.internetChecksum(p, l4, p.length - l4));
        return p;
    }

    /** The sequence number a packet of this class carries; throws for anything else. */
    public static int sequence(byte[] p) {
        int l4 = headerLength(p);
        int protocol = Ip.version(p, 0) == 6 ? Ip.u8(p, 6) : Ip.u8(p, 9);
        return switch (protocol) {
            case Ip.PROTO_UDP -> {
                if (p.length < l4 + Ip.UDP_HEADER + 4) {
                    throw new IllegalArgumentException("a UDP datagram of " + (p.length - l4) + " bytes carries no sequence number");
                }
                yield (int) Ip.u32(p, l4 + Ip.UDP_HEADER);
            }
            case Ip.PROTO_TCP -> (int) Ip.u32(p, l4 + 4);
            case PROTO_ICMP, PROTO_ICMPV6 -> Ip.u16(p, l4 + 6);
            default -> throw new IllegalArgumentException("not a packet of InnerPackets: IP protocol " + protocol);
        };
    }

    /** {@code packet} in an Ethernet frame from 02:00:00:00:00:01 to 02:00:00:00:00:02. */
    public static byte[] ethernet(byte[] packet) {
        byte[] f = new byte[Ethernet.HEADER + packet.length];
        f[0] = 0x02;
        f[5] = 0x02;
        f[6] = 0x02;
        f[11] = 0x01;
        Ip.putU16(f, 12, Ip.version(packet, 0) == 6 ? Ethernet.TYPE_IPV6 : Ethernet.TYPE_IPV4);
        System.arraycopy(packet, 0, f, Ethernet.HEADER, packet.length);
        return f;
    }

    /** An IP header from {@code src} to {@code dst} for {@code l4Length} bytes of {@code protocol}, the rest zero. */
    private static byte[] ip(InetAddress src, InetAddress dst, int protocol, int l4Length) {
        byte[] s = src.getAddress();
        byte[] d = dst.getAddress();
        if (s.length != d.length) {
            throw new IllegalArgumentException("source and destination of different IP versions");
        }
        if (s.length == 16) {
            byte[] p = new byte[Ip.IPV6_HEADER + l4Length];
            p[0] = 0x60;
            Ip.putU16(p, 4, l4Length);
            p[6] = (byte) protocol;
            p[7] = 64;
            System.arraycopy(s, 0, p, 8, 16);
            System.arraycopy(d, 0, p, 24, 16);
            return p;
        }
        byte[] p = new byte[Ip.IPV4_MIN_HEADER + l4Length];
        if (p.length > 0xFFFF) {
            throw new IllegalArgumentException("an IPv4 packet of " + p.length + " bytes");
        }
        p[0] = 0x45;
        Ip.putU16(p, 2, p.length);
        p[8] = 64;
        p[9] = (byte) protocol;
        System.arraycopy(s, 0, p, 12, 4);
        System.arraycopy(d, 0, p, 16, 4);
        Ip.fixIpv4Checksum(p, 0, Ip.IPV4_MIN_HEADER);
        return p;
    }

    private static int headerLength(byte[] p) {
        return Ip.version(p, 0) == 6 ? Ip.IPV6_HEADER : Ip.ipv4HeaderLength(p, 0);
    }

    private static void fillPayload(byte[] p, int off, int seq) {
        int start = off + 4 <= p.length ? 4 : 0;
        if (start == 4) {
            Ip.putU32(p, off, seq);
        }
        for (int i = start; off + i < p.length; i++) {
            p[off + i] = (byte) (i - start);
        }
    }

    private static void requireAtLeast(int payload, int min) {
        if (payload < min) {
            throw new IllegalArgumentException("payload of " + payload + " bytes: at least " + min + " needed");
        }
    }
}
