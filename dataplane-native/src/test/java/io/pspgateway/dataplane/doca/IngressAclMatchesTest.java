package io.pspgateway.dataplane.doca;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.pspgateway.psp.PspMode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/**
 * The ingress ACL matches byte for byte, at the offsets of ABI-3.0.md (written here as numbers,
 * not taken from DocaAbi): each expected struct is all zero but the fields the notes name.
 */
class IngressAclMatchesTest {
    private static final int SPI = 0x80000102;

    /** A 544-byte match, or 1040-byte actions, with the given fields written at their table offsets. */
    private static final class Expected {
        final ByteBuffer bytes;

        Expected(int size) {
            bytes = ByteBuffer.allocate(size).order(ByteOrder.nativeOrder());
        }

        Expected nativeInt(int offset, int value) {
            bytes.putInt(offset, value);
            return this;
        }

        Expected bigEndianInt(int offset, int value) {
            bytes.order(ByteOrder.BIG_ENDIAN).putInt(offset, value).order(ByteOrder.nativeOrder());
            return this;
        }

        Expected bytes(int offset, byte[] value) {
            bytes.put(offset, value);
            return this;
        }
    }

    private static byte[] of(MemorySegment s) {
        return s.toArray(ValueLayout.JAVA_BYTE);
    }

    private static Inet4Address v4(String a) throws Exception {
        return (Inet4Address) InetAddress.getByName(a);
    }

    private static Inet6Address v6(String a) throws Exception {
        return (Inet6Address) InetAddress.getByName(a);
    }

    @Test
    void anIpv4TunnelEntryMatchesTheSpiAndTheInnerPair() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            byte[] match = of(IngressAclMatches.ipv4(arena, PspMode.TUNNEL, SPI, v4("10.1.0.2"), v4("10.0.0.1")));
            Expected expected = new Expected(544).nativeInt(184, 7).bigEndianInt(196, SPI).nativeInt(476, 1)
                    .bytes(480, new byte[] {10, 1, 0, 2}).bytes(484, new byte[] {10, 0, 0, 1});
            assertArrayEquals(expected.bytes.array(), match);
        }
    }

    @Test
    void anIpv4TransportEntryMatchesThePacketsOwnHeader() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            byte[] match = of(IngressAclMatches.ipv4(arena, PspMode.TRANSPORT, SPI, v4("10.1.0.2"), v4("10.0.0.1")));
            Expected expected = new Expected(544).nativeInt(184, 7).bigEndianInt(196, SPI).nativeInt(116, 1)
                    .bytes(120, new byte[] {10, 1, 0, 2}).bytes(124, new byte[] {10, 0, 0, 1});
            assertArrayEquals(expected.bytes.array(), match);
        }
    }

    @Test
    void anIpv6PairTakesTwoEntriesThatShareThePeersIndex() throws Exception {
        Inet6Address peer = v6("fd10::2");
        Inet6Address local = v6("fd00::1");
        try (Arena arena = Arena.ofConfined()) {
            byte[] source = of(IngressAclMatches.ipv6Source(arena, PspMode.TUNNEL, SPI, peer));
            assertArrayEquals(new Expected(544).nativeInt(184, 7).bigEndianInt(196, SPI).bytes(480, peer.getAddress()).bytes.array(), source);
            // the first entry writes the index to meta.u32[2] (actions + 44 + 8), the second matches it (match + 8 + 8)
            assertArrayEquals(new Expected(1040).bigEndianInt(52, 5).bytes.array(), of(IngressAclMatches.peerIndexActions(arena, 5)));
            byte[] destination = of(IngressAclMatches.ipv6Destination(arena, PspMode.TUNNEL, local, 5));
            assertArrayEquals(new Expected(544).nativeInt(476, 2).bigEndianInt(16, 5).bytes(496, local.getAddress()).bytes.array(),
                    destination);
        }
    }
}
