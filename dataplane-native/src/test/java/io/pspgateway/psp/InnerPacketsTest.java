package io.pspgateway.psp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class InnerPacketsTest {
    private static final InetAddress A4 = address("10.1.0.1");
    private static final InetAddress B4 = address("10.2.0.1");
    private static final InetAddress A6 = address("fd00::1");
    private static final InetAddress B6 = address("fd00::2");

    @Test
    void udpOverIpv4CarriesItsSequenceAndTheChecksumPythonComputes() {
        byte[] p = InnerPackets.udp(A4, B4, 7);
        assertEquals(20 + 8 + InnerPackets.DEFAULT_PAYLOAD, p.length);
        assertEquals(p.length, Ip.u16(p, 2));
        assertEquals(8 + InnerPackets.DEFAULT_PAYLOAD, Ip.u16(p, 24));
        assertEquals(7, InnerPackets.sequence(p));
        // computed by a separate implementation (Python's struct) over the same pseudo-header and datagram
        assertEquals(0x56d3, Ip.u16(p, 26));
        assertEquals(0xFFFF, fold(sumWords(p, 0, 20)), "IPv4 header checksum");
    }

    @Test
    void icmpv6EchoHasThePseudoHeaderChecksumPythonComputes() {
        byte[] p = InnerPackets.icmpEcho(A6, B6, 0x77, 3, 10);
        assertEquals(58, Ip.u8(p, 6));
        assertEquals(128, Ip.u8(p, 40));
        assertEquals(3, InnerPackets.sequence(p));
        assertEquals(0x711b, Ip.u16(p, 42));
    }

    @Test
    void everyKindVerifiesAndReadsItsSequenceBack() {
        for (byte[] p : new byte[][] {
                InnerPackets.udp(A6, B6, 1, 2, 0xCAFEBABE, 1001),
                InnerPackets.tcp(A4, B4, 40000, 443, 123456789, 1400),
                InnerPackets.tcp(A6, B6, 40000, 443, -5, 33),
                InnerPackets.icmpEcho(A4, B4, 1, 65535, 56)}) {
            boolean v6 = Ip.version(p, 0) == 6;
            int l4 = v6 ? 40 : 20;
            int protocol = v6 ? Ip.u8(p, 6) : Ip.u8(p, 9);
            long pseudo = protocol == 1 ? 0 : (v6 ? sumWords(p, 8, 32) : sumWords(p, 12, 8)) + protocol + (p.length - l4);
            assertEquals(0xFFFF, fold(pseudo + sumWords(p, l4, p.length - l4)), "transport checksum of protocol " + protocol);
        }
        assertEquals(0xCAFEBABE, InnerPackets.sequence(InnerPackets.udp(A6, B6, 1, 2, 0xCAFEBABE, 4)));
        assertEquals(123456789, InnerPackets.sequence(InnerPackets.tcp(A4, B4, 1, 2, 123456789, 0)));
    }

    @Test
    void anEthernetFrameNamesTheVersion() {
        assertEquals(0x0800, Ip.u16(InnerPackets.ethernet(InnerPackets.udp(A4, B4, 1)), 12));
        assertEquals(0x86DD, Ip.u16(InnerPackets.ethernet(InnerPackets.udp(A6, B6, 1)), 12));
    }

    @Test
    void impossiblePacketsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> InnerPackets.udp(A4, B6, 1));
        assertThrows(IllegalArgumentException.class, () -> InnerPackets.udp(A4, B4, 1, 2, 3, -1));
        assertThrows(IllegalArgumentException.class, () -> InnerPackets.sequence(InnerPackets.udp(A4, B4, 1, 2, 3, 3)));
        assertThrows(IllegalArgumentException.class, () -> InnerPackets.udp(A4, B4, 1, 2, 3, 70_000));
        byte[] gre = InnerPackets.udp(A4, B4, 1);
        gre[9] = 47;
        assertThrows(IllegalArgumentException.class, () -> InnerPackets.sequence(gre));
    }

    private static long sumWords(byte[] b, int off, int length) {
        long sum = 0;
        for (int i = 0; i < length; i++) {
            sum += (i % 2 == 0 ? (b[off + i] & 0xFF) << 8 : b[off + i] & 0xFF);
        }
        return sum;
    }

    /** The 16-bit one's complement sum: 0xFFFF over a region that includes its right checksum. */
    private static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) sum;
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }
}
