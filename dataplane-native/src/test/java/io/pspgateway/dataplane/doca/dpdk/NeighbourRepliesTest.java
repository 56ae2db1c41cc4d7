package io.pspgateway.dataplane.doca.dpdk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pspgateway.psp.InnerPackets;
import io.pspgateway.psp.Ip;
import java.net.InetAddress;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class NeighbourRepliesTest {
    static final byte[] PF_MAC = {0x02, 0, 0, 0, 0, 0x01};
    static final byte[] VF_MAC = {0x02, 0, 0, 0, 0, 0x0A};

    /** An ARP packet of operation {@code op} (1 request, 2 reply) from {@code VF_MAC} at {@code senderIp} about {@code targetIp}. */
    static byte[] arp(int op, byte[] senderIp, byte[] targetIp) {
        byte[] f = new byte[60];
        Arrays.fill(f, 0, 6, (byte) 0xFF);
        System.arraycopy(VF_MAC, 0, f, 6, 6);
        Ip.putU16(f, 12, 0x0806);
        Ip.putU16(f, 14, 1);
        Ip.putU16(f, 16, 0x0800);
        f[18] = 6;
        f[19] = 4;
        Ip.putU16(f, 20, op);
        System.arraycopy(VF_MAC, 0, f, 22, 6);
        System.arraycopy(senderIp, 0, f, 28, 4);
        System.arraycopy(targetIp, 0, f, 38, 4);
        return f;
    }

    /** A neighbour solicitation from {@code source} (:: for duplicate address detection) for {@code target}. */
    static byte[] solicitation(String source, String target) throws Exception {
        byte[] f = new byte[14 + 40 + 32];
        System.arraycopy(new byte[] {0x33, 0x33, (byte) 0xFF, 0, 0, 2}, 0, f, 0, 6);
        System.arraycopy(VF_MAC, 0, f, 6, 6);
        Ip.putU16(f, 12, 0x86DD);
        Ip.putU32(f, 14, 0x60000000L);
        Ip.putU16(f, 18, 32);
        f[20] = 58;
        f[21] = (byte) 255;
        System.arraycopy(InetAddress.getByName(source).getAddress(), 0, f, 22, 16);
        System.arraycopy(InetAddress.getByName("ff02::1:ff00:2").getAddress(), 0, f, 38, 16);
        f[54] = (byte) 135;
        System.arraycopy(InetAddress.getByName(target).getAddress(), 0, f, 62, 16);
        f[78] = 1; // source link-layer address option
        f[79] = 1;
        System.arraycopy(VF_MAC, 0, f, 80, 6);
        Ip.putU16(f, 56, Ip.transportChecksum(f, 14, 54, f.length, 58));
        return f;
    }

    @Test
    void aSolicitationIsAnsweredBySolicitedAdvertisementFromTheTargetWithThePfMac() throws Exception {
        byte[] ns = solicitation("fd00::a", "fd00::2");
        assertTrue(NeighbourReplies.isNeighbourDiscovery(ns));
        byte[] na = NeighbourReplies.answer(ns, PF_MAC);
        assertArrayEquals(VF_MAC, Arrays.copyOfRange(na, 0, 6), "to the asker's MAC");
        assertArrayEquals(PF_MAC, Arrays.copyOfRange(na, 6, 12));
        assertEquals(0x86DD, Ip.u16(na, 12));
        assertEquals(255, Ip.u8(na, 21), "hop limit 255 (RFC 4861 7.1.2)");
        assertArrayEquals(InetAddress.getByName("fd00::2").getAddress(), Arrays.copyOfRange(na, 22, 38), "from the target");
        assertArrayEquals(InetAddress.getByName("fd00::a").getAddress(), Arrays.copyOfRange(na, 38, 54), "to the asker");
        assertEquals(136, Ip.u8(na, 54));
        assertEquals(0x60, Ip.u8(na, 58), "solicited and override");
        assertArrayEquals(InetAddress.getByName("fd00::2").getAddress(), Arrays.copyOfRange(na, 62, 78));
        assertEquals(2, na[78], "target link-layer address option");
        assertArrayEquals(PF_MAC, Arrays.copyOfRange(na, 80, 86));
        assertEquals(0, Ip.transportChecksum(na, 14, 54, 14 + 40 + 32, 58), "the ICMPv6 checksum holds");
    }

    @Test
    void aDuplicateAddressProbeIsAnsweredToAllNodesUnsolicited() throws Exception {
        byte[] na = NeighbourReplies.answer(solicitation("::", "fd00::2"), PF_MAC);
        assertArrayEquals(new byte[] {0x33, 0x33, 0, 0, 0, 1}, Arrays.copyOfRange(na, 0, 6));
        assertArrayEquals(InetAddress.getByName("ff02::1").getAddress(), Arrays.copyOfRange(na, 38, 54));
        assertEquals(0x20, Ip.u8(na, 58), "override only");
        assertEquals(0, Ip.transportChecksum(na, 14, 54, 14 + 40 + 32, 58));
    }

    @Test
    void whatIsNotAWellFormedRequestGetsNoAnswer() throws Exception {
        byte[] arp = arp(2, new byte[] {10, 1, 0, 1}, new byte[] {10, 1, 0, 2});
        assertTrue(NeighbourReplies.isNeighbourDiscovery(arp));
        assertNull(NeighbourReplies.answer(arp, PF_MAC), "an ARP reply");
        Ip.putU16(arp, 20, 1);
        arp[18] = 8;
        assertNull(NeighbourReplies.answer(arp, PF_MAC), "hardware addresses of 8 bytes");
        assertNull(NeighbourReplies.answer(Arrays.copyOf(arp, 30), PF_MAC), "truncated");
        byte[] ns = solicitation("fd00::a", "fd00::2");
        ns[21] = 64;
        assertFalse(NeighbourReplies.isNeighbourDiscovery(ns), "a solicitation that crossed a router (hop limit 64) is not one");
        byte[] udp = InnerPackets.ethernet(InnerPackets.udp(InetAddress.getByName("fd00::1"), InetAddress.getByName("fd00::2"), 1));
        assertFalse(NeighbourReplies.isNeighbourDiscovery(udp));
        assertNull(NeighbourReplies.answer(new byte[10], PF_MAC));
    }
}
