package io.pspgateway.dataplane.doca;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pspgateway.dataplane.EncryptEntry;
import io.pspgateway.psp.Ip;
import io.pspgateway.psp.OuterIp;
import io.pspgateway.psp.PspHeader;
import io.pspgateway.psp.PspMode;
import io.pspgateway.psp.PspVersion;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The encrypt entry's actions: the pushed header against the project's own PSP codec (OuterIp
 * and PspHeader, a separate implementation of the same header), with the fields the NIC fills
 * masked; the template index, the crypto id, and every other byte of the struct zero.
 */
class EncryptActionsTest {
    private static final byte[] PF_MAC = {0x02, 0, 0, 0, 0, 0x01};
    private static final byte[] NEXT_HOP = {0x02, 0, 0, 0, 0, 0x02};
    private static final int SPI = 0x80001234;

    private static EncryptEntry entry(String vipA, String vipB, PspMode mode, String outerA, String outerB, Long cookie, int offset)
            throws Exception {
        return new EncryptEntry(InetAddress.getByName(vipA), InetAddress.getByName(vipB), 3, SPI, PspVersion.V1, mode, offset, cookie,
                InetAddress.getByName(outerA), InetAddress.getByName(outerB), NEXT_HOP);
    }

    /** What our codec writes in front of an inner packet, for the same tunnel, with the NIC's fields zeroed. */
    private static byte[] codecHeader(EncryptEntry e) {
        boolean outerIpv6 = e.peerOuter().getAddress().length == 16;
        boolean cookie = e.cookie() != null;
        int ip = e.mode() == PspMode.TUNNEL ? (outerIpv6 ? Ip.IPV6_HEADER : Ip.IPV4_MIN_HEADER) : 0;
        int eth = e.mode() == PspMode.TUNNEL ? 14 : 0;
        byte[] b = new byte[eth + ip + Ip.UDP_HEADER + PspHeader.length(cookie) + 64];
        int innerVersion = e.sourceVip().getAddress().length == 16 ? 6 : 4;
        if (e.mode() == PspMode.TUNNEL) {
            System.arraycopy(NEXT_HOP, 0, b, 0, 6);
            System.arraycopy(PF_MAC, 0, b, 6, 6);
            Ip.putU16(b, 12, outerIpv6 ? 0x86DD : 0x0800);
            OuterIp.between(e.localOuter(), e.peerOuter()).write(b, eth, eth + ip, innerVersion, 1234);
            // the NIC's: IP lengths, the IPv4 checksum
            if (outerIpv6) {
                Ip.putU16(b, eth + 4, 0);
            } else {
                Ip.putU16(b, eth + 2, 0);
                Ip.putU16(b, eth + 10, 0);
            }
        }
        int udp = eth + ip;
        Ip.putU16(b, udp + 2, PspHeader.UDP_PORT); // source port, length and checksum are the NIC's
        int nextHeader = e.mode() == PspMode.TUNNEL ? (innerVersion == 4 ? Ip.PROTO_IPV4 : Ip.PROTO_IPV6) : 0;
        new PspHeader().wrap(ByteBuffer.wrap(b), udp + Ip.UDP_HEADER).write(nextHeader, e.cryptOffsetWords(), e.version(), cookie,
                e.spi(), 0, cookie ? e.cookie() : 0);
        return Arrays.copyOf(b, udp + Ip.UDP_HEADER + PspHeader.length(cookie));
    }

    private static void checkActions(EncryptEntry e, int expectedTemplate, int expectedLength) {
        byte[] header = EncryptActions.encapHeader(e, PF_MAC, NEXT_HOP);
        assertEquals(expectedLength, header.length);
        assertArrayEquals(codecHeader(e), header);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment actions = EncryptActions.of(arena, e, 4, PF_MAC, NEXT_HOP);
            byte[] bytes = actions.toArray(ValueLayout.JAVA_BYTE);
            assertEquals(1040, bytes.length);
            // BACKEND-NOTES 3.3: action_idx @0, has_crypto_encap @888, encap_data @904, crypto_id @1032
            assertEquals(expectedTemplate, bytes[0]);
            assertEquals(1, bytes[888]);
            assertArrayEquals(header, Arrays.copyOfRange(bytes, 904, 904 + header.length));
            assertEquals(4, actions.get(ValueLayout.JAVA_INT, 1032));
            bytes[0] = 0;
            bytes[888] = 0;
            Arrays.fill(bytes, 904, 904 + header.length, (byte) 0);
            Arrays.fill(bytes, 1032, 1036, (byte) 0);
            assertArrayEquals(new byte[1040], bytes, "a byte outside the four fields was written");
        }
    }

    @Test
    void tunnelModeIpv6OuterWithTheCookieIs86BytesOnTemplate0() throws Exception {
        checkActions(entry("10.0.0.1", "10.0.0.2", PspMode.TUNNEL, "fd00::1", "fd00::2", 0x778899aabbccddeeL, 7), 0, 86);
    }

    @Test
    void tunnelModeIpv4OuterWithoutTheCookieIs58BytesOnTemplate1() throws Exception {
        checkActions(entry("10.0.0.1", "10.0.0.2", PspMode.TUNNEL, "192.0.2.1", "192.0.2.2", null, 5), 1, 58);
    }

    @Test
    void anIpv6InnerPacketOverIpv4NamesIpv6AsItsNextHeader() throws Exception {
        EncryptEntry e = entry("fd10::1", "fd10::2", PspMode.TUNNEL, "192.0.2.1", "192.0.2.2", null, 10);
        checkActions(e, 1, 58);
        assertEquals(41, EncryptActions.encapHeader(e, PF_MAC, NEXT_HOP)[14 + 20 + 8]);
    }

    @Test
    void transportModeIsUdpAndPspOnlyOnTheTemplateOfThePacketsFamily() throws Exception {
        checkActions(entry("10.0.0.1", "10.0.0.2", PspMode.TRANSPORT, "10.0.0.1", "10.0.0.2", 0x1122334455667788L, 0), 1, 32);
        checkActions(entry("fd10::1", "fd10::2", PspMode.TRANSPORT, "fd10::1", "fd10::2", null, 0), 0, 24);
    }
}
