package io.pspgateway.psp;

/**
 * How the outer UDP source port is chosen. It carries the inner flow's entropy so that ECMP in
 * the network spreads PSP flows the way it would spread the flows inside them.
 */
public enum SourcePortPolicy {
    /**
     * Google's reference tool: inner source port XOR inner destination port for TCP and UDP,
     * otherwise the PSP port (1000). Deterministic; used by {@code pcap encrypt}.
     */
    REFERENCE {
        @Override
        int choose(byte[] b, int l3Off, int l4Off, int protocol, int l4Available) {
            if (isTcpOrUdp(protocol) && l4Available >= 4) {
                return Ip.u16(b, l4Off) ^ Ip.u16(b, l4Off + 2);
            }
            return PspHeader.UDP_PORT;
        }
    },
    /**
     * A hash of the inner addresses, protocol and ports mapped into the IANA dynamic range
     * 49152-65535, like the kernel's udp_flow_src_port(): two flows between the same hosts take
     * different paths, and no source port collides with a well-known service.
     */
    FLOW_HASH {
        @Override
        int choose(byte[] b, int l3Off, int l4Off, int protocol, int l4Available) {
            int h = protocol;
            boolean v4 = Ip.version(b, l3Off) == 4;
            int addrOff = l3Off + (v4 ? 12 : 8);
            int addrEnd = addrOff + (v4 ? 8 : 32);
            for (int i = addrOff; i < addrEnd; i += 4) {
                h = mix(h, ((b[i] & 0xFF) << 24) | ((b[i + 1] & 0xFF) << 16) | ((b[i + 2] & 0xFF) << 8) | (b[i + 3] & 0xFF));
            }
            if (isTcpOrUdp(protocol) && l4Available >= 4) {
                h = mix(h, (Ip.u16(b, l4Off) << 16) | Ip.u16(b, l4Off + 2));
            }
            h ^= h >>> 16;
            return DYNAMIC_FIRST + ((h & 0x7FFFFFFF) % DYNAMIC_COUNT);
        }
    };

    private static final int DYNAMIC_FIRST = 49152;
    private static final int DYNAMIC_COUNT = 65536 - DYNAMIC_FIRST;

    /**
     * The source port for an inner packet whose IP header starts at {@code l3Off} and whose L4
     * header starts at {@code l4Off}, with {@code l4Available} bytes of it present.
     */
    abstract int choose(byte[] b, int l3Off, int l4Off, int protocol, int l4Available);

    private static boolean isTcpOrUdp(int protocol) {
        return protocol == Ip.PROTO_TCP || protocol == Ip.PROTO_UDP;
    }

    private static int mix(int h, int k) {
        k *= 0xcc9e2d51;
        k = Integer.rotateLeft(k, 15);
        k *= 0x1b873593;
        h ^= k;
        return Integer.rotateLeft(h, 13) * 5 + 0xe6546b64;
    }
}
