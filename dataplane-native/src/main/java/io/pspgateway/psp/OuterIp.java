package io.pspgateway.psp;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * How tunnel mode builds the outer IP header in front of the PSP UDP header.
 */
public sealed interface OuterIp permits OuterIp.Fixed, OuterIp.MirrorInner {

    /** Length of the outer IP header for an inner packet of IP version {@code innerVersion}. */
    int headerLength(int innerVersion);

    /**
     * Writes the outer IP header at {@code outerOff}. The inner IP header is still intact at
     * {@code innerOff}; {@code l3PayloadLength} is the length of everything after the outer IP
     * header (UDP header + PSP header + payload + ICV).
     */
    void write(byte[] b, int outerOff, int innerOff, int innerVersion, int l3PayloadLength);

    /** A header between fixed physical addresses (the data plane's case); both of one family. */
    static OuterIp between(InetAddress source, InetAddress destination) {
        return new Fixed(source, destination);
    }

    /** Google's reference tool: the inner IP header copied (options dropped), protocol UDP. */
    static OuterIp mirrorInner() {
        return MirrorInner.INSTANCE;
    }

    /** Outer header with fixed addresses: DF set, TTL / hop limit 64, no DSCP, no flow label. */
    final class Fixed implements OuterIp {
        private static final int TTL = 64;
        private static final int DONT_FRAGMENT = 0x4000;

        private final byte[] source;
        private final byte[] destination;

        private Fixed(InetAddress source, InetAddress destination) {
            boolean v4 = source instanceof Inet4Address && destination instanceof Inet4Address;
            boolean v6 = source instanceof Inet6Address && destination instanceof Inet6Address;
            if (!v4 && !v6) {
                throw new IllegalArgumentException("outer source " + IpText.of(source) + " and destination "
                        + IpText.of(destination) + " must be of the same IP family");
            }
            this.source = source.getAddress();
            this.destination = destination.getAddress();
        }

        public boolean ipv6() {
            return source.length == 16;
        }

        @Override
        public int headerLength(int innerVersion) {
            return ipv6() ? Ip.IPV6_HEADER : Ip.IPV4_MIN_HEADER;
        }

        @Override
        public void write(byte[] b, int off, int innerOff, int innerVersion, int l3PayloadLength) {
            if (ipv6()) {
                b[off] = 0x60;
                b[off + 1] = 0;
                b[off + 2] = 0;
                b[off + 3] = 0;
                Ip.putU16(b, off + Ip.V6_PAYLOAD_LENGTH, l3PayloadLength);
                b[off + Ip.V6_NEXT_HEADER] = Ip.PROTO_UDP;
                b[off + 7] = TTL;
                System.arraycopy(source, 0, b, off + 8, 16);
                System.arraycopy(destination, 0, b, off + 24, 16);
            } else {
                b[off] = 0x45;
                b[off + 1] = 0;
                Ip.putU16(b, off + Ip.V4_TOTAL_LENGTH, Ip.IPV4_MIN_HEADER + l3PayloadLength);
                Ip.putU16(b, off + 4, 0);
                Ip.putU16(b, off + Ip.V4_FLAGS_FRAGMENT, DONT_FRAGMENT);
                b[off + 8] = TTL;
                b[off + Ip.V4_PROTOCOL] = Ip.PROTO_UDP;
                System.arraycopy(source, 0, b, off + 12, 4);
                System.arraycopy(destination, 0, b, off + 16, 4);
                Ip.fixIpv4Checksum(b, off, Ip.IPV4_MIN_HEADER);
            }
        }
    }

    /** The reference tool's outer header: a copy of the inner one with protocol UDP. */
    final class MirrorInner implements OuterIp {
        private static final MirrorInner INSTANCE = new MirrorInner();

        private MirrorInner() {
        }

        @Override
        public int headerLength(int innerVersion) {
            return innerVersion == 6 ? Ip.IPV6_HEADER : Ip.IPV4_MIN_HEADER;
        }

        @Override
        public void write(byte[] b, int off, int innerOff, int innerVersion, int l3PayloadLength) {
            if (innerVersion == 6) {
                System.arraycopy(b, innerOff, b, off, Ip.IPV6_HEADER);
                Ip.putU16(b, off + Ip.V6_PAYLOAD_LENGTH, l3PayloadLength);
                b[off + Ip.V6_NEXT_HEADER] = Ip.PROTO_UDP;
            } else {
                System.arraycopy(b, innerOff, b, off, Ip.IPV4_MIN_HEADER);
                b[off] = 0x45;
                Ip.putU16(b, off + Ip.V4_TOTAL_LENGTH, Ip.IPV4_MIN_HEADER + l3PayloadLength);
                b[off + Ip.V4_PROTOCOL] = Ip.PROTO_UDP;
                Ip.fixIpv4Checksum(b, off, Ip.IPV4_MIN_HEADER);
            }
        }
    }
}
