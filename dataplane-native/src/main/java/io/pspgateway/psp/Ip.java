package io.pspgateway.psp;

/**
 * Offsets and helpers for the IPv4 and IPv6 header fields the codec touches. Static and
 * allocation-free; every method works on absolute indexes of a byte array.
 */
public final class Ip {
    public static final int IPV4_MIN_HEADER = 20;
    public static final int IPV6_HEADER = 40;
    public static final int UDP_HEADER = 8;
    public static final int PROTO_IPV4 = 4;
    public static final int PROTO_TCP = 6;
    public static final int PROTO_UDP = 17;
    public static final int PROTO_IPV6 = 41;

    static final int V4_TOTAL_LENGTH = 2;
    static final int V4_FLAGS_FRAGMENT = 6;
    static final int V4_PROTOCOL = 9;
    static final int V4_CHECKSUM = 10;
    static final int V6_PAYLOAD_LENGTH = 4;
    static final int V6_NEXT_HEADER = 6;

    private Ip() {
    }

    /**
     * True for the IPv6 next-header values that are not an upper-layer protocol: the extension
     * headers of RFC 8200 and the IANA registry (hop-by-hop, routing, fragment, ESP, AH,
     * destination options, mobility, HIP, shim6, the experimental 253/254) and "no next header".
     */
    public static boolean isIpv6ExtensionHeader(int nextHeader) {
        return switch (nextHeader) {
            case 0, 43, 44, 50, 51, 59, 60, 135, 139, 140, 253, 254 -> true;
            default -> false;
        };
    }

    /** The version nibble of the IP header at {@code off}. */
    public static int version(byte[] b, int off) {
        return (b[off] & 0xFF) >>> 4;
    }

    public static int u8(byte[] b, int off) {
        return b[off] & 0xFF;
    }

    public static int u16(byte[] b, int off) {
        return ((b[off] & 0xFF) << 8) | (b[off + 1] & 0xFF);
    }

    public static void putU16(byte[] b, int off, int value) {
        b[off] = (byte) (value >>> 8);
        b[off + 1] = (byte) value;
    }

    /** The unsigned big-endian 32-bit value at {@code off} (a TCP sequence number, a SPI). */
    public static long u32(byte[] b, int off) {
        return ((long) u16(b, off) << 16) | u16(b, off + 2);
    }

    /** Writes the low 32 bits of {@code value} big-endian at {@code off}. */
    public static void putU32(byte[] b, int off, long value) {
        putU16(b, off, (int) (value >>> 16) & 0xFFFF);
        putU16(b, off + 2, (int) value & 0xFFFF);
    }

    /** IPv4 header length in bytes from the IHL field. */
    public static int ipv4HeaderLength(byte[] b, int off) {
        return (b[off] & 0x0F) * 4;
    }

    /** Recomputes the IPv4 header checksum of the {@code headerLength}-byte header at {@code off}. */
    public static void fixIpv4Checksum(byte[] b, int off, int headerLength) {
        putU16(b, off + V4_CHECKSUM, 0);
        int sum = 0;
        for (int i = 0; i < headerLength; i += 2) {
            sum += u16(b, off + i);
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        putU16(b, off + V4_CHECKSUM, ~sum & 0xFFFF);
    }

    /** True when the IPv4 header at {@code off} describes a fragment (MF set or a non-zero offset). */
    public static boolean isIpv4Fragment(byte[] b, int off) {
        return (u16(b, off + V4_FLAGS_FRAGMENT) & 0x3FFF) != 0;
    }

    /** The Internet checksum (RFC 1071) of {@code length} bytes at {@code off}. */
    public static int internetChecksum(byte[] b, int off, int length) {
        return fold(sum(b, off, length, 0));
    }

    /**
     * The checksum of the transport segment from {@code l4} to {@code end} with the pseudo-header
     * of the IP header at {@code l3} (RFC 768, 793, 4443, 8200): UDP, TCP, ICMPv6.
     */
    public static int transportChecksum(byte[] b, int l3, int l4, int end, int protocol) {
        int length = end - l4;
        long sum = version(b, l3) == 6 ? sum(b, l3 + 8, 32, 0) : sum(b, l3 + 12, 8, 0);
        return fold(sum(b, l4, length, sum + protocol + length));
    }

    private static long sum(byte[] b, int off, int length, long initial) {
        long sum = initial;
        for (int i = 0; i + 1 < length; i += 2) {
            sum += u16(b, off + i);
        }
        if ((length & 1) != 0) {
            sum += (b[off + length - 1] & 0xFF) << 8;
        }
        return sum;
    }

    private static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) (~sum & 0xFFFF);
    }
}
