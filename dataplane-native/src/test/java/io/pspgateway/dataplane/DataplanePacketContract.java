package io.pspgateway.dataplane;

import static io.pspgateway.dataplane.TwoGateways.relay;
import static io.pspgateway.psp.InnerPackets.udp;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pspgateway.dataplane.port.PacketPort;
import io.pspgateway.psp.Ip;
import io.pspgateway.psp.PspHeader;
import io.pspgateway.psp.PspMode;
import io.pspgateway.psp.PspVersion;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What every backend with a packet path must do with packets: seal and open both ways in every
 * mode and IP version, miss to the slow path and re-inject in order, enforce the ingress ACL (or
 * not, when asked), count every drop by reason, sample, survive one key rotation and not two. A
 * backend's test extends this class and only says how to open one; it never overrides nor
 * disables a case.
 */
public abstract class DataplanePacketContract {
    /**
     * What a case needs of a backend beside its defaults: the original's {@code --sample-rate},
     * {@code --disable-ingress-acl}, {@code --inner-ip-type} and the miss queue's size.
     */
    public record Needs(int sampleLog2, boolean ingressAcl, int innerIpVersion, int missQueueCapacity) {
        public static Needs defaults() {
            return new Needs(0, true, 4, 4096);
        }

        Needs withSampleLog2(int n) {
            return new Needs(n, ingressAcl, innerIpVersion, missQueueCapacity);
        }

        Needs withIngressAcl(boolean on) {
            return new Needs(sampleLog2, on, innerIpVersion, missQueueCapacity);
        }

        Needs withInnerIpVersion(int version) {
            return new Needs(sampleLog2, ingressAcl, version, missQueueCapacity);
        }

        Needs withMissQueueCapacity(int n) {
            return new Needs(sampleLog2, ingressAcl, innerIpVersion, n);
        }
    }

    /** The backend under test, started, with its plain port on {@code plain} and its secure port on {@code secure}. */
    protected abstract DataplaneOps open(Needs needs, PacketPort plain, PacketPort secure);

    private TwoGateways gw;

    private TwoGateways twoGateways(boolean innerV6, boolean outerV6, Needs a, Needs b) {
        return new TwoGateways(this::open, innerV6, outerV6, a, b);
    }

    @AfterEach
    final void tearDown() {
        if (gw != null) {
            gw.close();
        }
    }

    private static void eventually(Supplier<Boolean> condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!condition.get()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(5);
        }
    }

    private static int outerHeader(byte[] p) {
        return Ip.version(p, 0) == 6 ? 40 : Ip.ipv4HeaderLength(p, 0);
    }

    @ParameterizedTest(name = "{2} mode, inner IPv{0}, outer IPv{1}")
    @CsvSource({"4,4,TUNNEL", "4,6,TUNNEL", "6,4,TUNNEL", "6,6,TUNNEL", "4,4,TRANSPORT", "6,6,TRANSPORT"})
    final void packetsFlowBothWaysEncrypted(int inner, int outer, PspMode mode) throws Exception {
        gw = twoGateways(inner == 6, outer == 6, Needs.defaults(), Needs.defaults());
        if (mode == PspMode.TRANSPORT) {
            // transport mode keeps the original header: the VIPs are the physical addresses
            gw.close();
            gw = twoGateways(inner == 6, inner == 6, Needs.defaults(), Needs.defaults());
        }
        InetAddress srcA = mode == PspMode.TRANSPORT ? gw.physA : gw.vipA;
        InetAddress srcB = mode == PspMode.TRANSPORT ? gw.physB : gw.vipB;
        int spiAB = TwoGateways.connect(gw.a, gw.physA, srcA, gw.b, gw.physB, srcB, 0, mode, PspVersion.V1);
        int spiBA = TwoGateways.connect(gw.b, gw.physB, srcB, gw.a, gw.physA, srcA, 0, mode, PspVersion.V0);

        for (int seq = 0; seq < 20; seq++) {
            gw.hostA.send(udp(srcA, srcB, seq, 200));
        }
        for (byte[] wire : relay(gw.wireFromA, gw.wireToB, 20)) {
            int udpAt = outerHeader(wire);
            assertEquals(Ip.PROTO_UDP, wire[Ip.version(wire, 0) == 6 ? 6 : 9], "outer protocol is UDP");
            assertEquals(PspHeader.UDP_PORT, Ip.u16(wire, udpAt + 2));
            assertEquals(spiAB, ByteBuffer.wrap(wire).getInt(udpAt + 12));
            assertEquals(mode == PspMode.TUNNEL ? outer : inner, Ip.version(wire, 0));
        }
        for (int seq = 0; seq < 20; seq++) {
            byte[] got = gw.hostB.take(5000);
            assertArrayEquals(udp(srcA, srcB, seq, 200), got, "packet " + seq);
        }
        gw.hostB.send(udp(srcB, srcA, 99, 64));
        byte[] back = relay(gw.wireFromB, gw.wireToA, 1).getFirst();
        assertEquals(spiBA, ByteBuffer.wrap(back).getInt(outerHeader(back) + 12));
        assertArrayEquals(udp(srcB, srcA, 99, 64), gw.hostA.take(5000));

        DataplaneCounters ca = gw.a.counters();
        DataplaneCounters cb = gw.b.counters();
        assertEquals(20, ca.txPackets());
        assertEquals(20, cb.rxPackets());
        assertEquals(1, cb.txPackets());
        assertEquals(1, ca.rxPackets());
        assertEquals(0, ca.droppedTotal() + cb.droppedTotal());
        int payloadPerPacket = mode == PspMode.TUNNEL ? udp(srcA, srcB, 0, 200).length : 208;
        assertEquals(20L * payloadPerPacket, cb.rxBytes());
        assertEquals(20, gw.a.encryptEntryCounters(FlowKey.of(srcA, srcB)).packets());
        assertEquals(20, gw.b.ingressAclCounters(spiAB, srcA, srcB).packets());
    }

    @Test
    final void aMissingEntryLandsInTheMissQueueAndReinjectionDeliversInOrder() throws Exception {
        gw = twoGateways(false, false, Needs.defaults(), Needs.defaults());
        for (int seq = 0; seq < 5; seq++) {
            gw.hostA.send(udp(gw.vipA, gw.vipB, seq, 100));
        }
        List<HeldPacket> held = new ArrayList<>();
        eventually(() -> {
            gw.a.missQueue().drain(held, 100);
            return held.size() == 5;
        }, "5 misses");
        assertEquals(HoldReason.MISS, held.getFirst().reason());
        assertEquals(FlowKey.of(gw.vipA, gw.vipB), held.getFirst().flow());
        assertEquals(gw.vipB, held.getFirst().flow().destination());
        assertEquals(5, gw.a.counters().held(HoldReason.MISS));
        assertEquals(0, gw.wireFromA.pending());

        gw.connectAtoB(7);
        for (HeldPacket p : held) {
            gw.a.reinject(p);
        }
        relay(gw.wireFromA, gw.wireToB, 5);
        for (int seq = 0; seq < 5; seq++) {
            assertArrayEquals(udp(gw.vipA, gw.vipB, seq, 100), gw.hostB.take(5000), "in order: " + seq);
        }
    }

    @Test
    final void theRightKeyFromTheWrongSourceVipIsDroppedByTheAcl() throws Exception {
        gw = twoGateways(false, false, Needs.defaults(), Needs.defaults());
        int spi = gw.connectAtoB(0);
        // a second local workload on A uses the same SA towards B: B's ACL only allows 10.0.0.1
        InetAddress intruder = TwoGateways.address("10.0.0.9");
        gw.a.addEncryptEntry(new EncryptEntry(intruder, gw.vipB, 0, spi, PspVersion.V1, PspMode.TUNNEL, 0, null,
                gw.physA, gw.physB, null));
        gw.hostA.send(udp(intruder, gw.vipB, 1, 50));
        relay(gw.wireFromA, gw.wireToB, 1);
        eventually(() -> gw.b.counters().dropped(DropReason.INGRESS_ACL_MISS) == 1, "ACL drop");
        assertNull(gw.hostB.take(100));
        assertEquals(0, gw.b.counters().rxPackets());
    }

    @Test
    final void withTheAclDisabledAnyAuthenticPacketIsDelivered() throws Exception {
        gw = twoGateways(false, false, Needs.defaults(),
                Needs.defaults().withIngressAcl(false));
        int spi = gw.connectAtoB(0);
        InetAddress other = TwoGateways.address("10.0.0.9");
        gw.a.addEncryptEntry(new EncryptEntry(other, gw.vipB, 0, spi, PspVersion.V1, PspMode.TUNNEL, 0, null,
                gw.physA, gw.physB, null));
        gw.hostA.send(udp(other, gw.vipB, 1, 50));
        relay(gw.wireFromA, gw.wireToB, 1);
        assertArrayEquals(udp(other, gw.vipB, 1, 50), gw.hostB.take(5000));
    }

    @Test
    final void aCorruptedPacketIsCountedAsAnIcvFailure() throws Exception {
        gw = twoGateways(false, false, Needs.defaults(), Needs.defaults());
        gw.connectAtoB(0);
        gw.hostA.send(udp(gw.vipA, gw.vipB, 1, 300));
        byte[] wire = gw.wireFromA.take(5000);
        wire[wire.length - 30] ^= 0x04;
        gw.wireToB.send(wire);
        eventually(() -> gw.b.counters().rxAuthFail() == 1, "auth failure counted");
        assertEquals(1, gw.b.counters().dropped(DropReason.INGRESS_AUTH_FAILED));
        assertNull(gw.hostB.take(100));
    }

    @Test
    final void garbageOnTheWireIsCountedNeverDelivered() throws Exception {
        gw = twoGateways(false, false, Needs.defaults(), Needs.defaults());
        gw.connectAtoB(0);
        gw.wireToB.send(new byte[] {0x45, 0, 0});
        gw.wireToB.send(udp(gw.physA, gw.physB, 1, 20));
        eventually(() -> gw.b.counters().droppedTotal() == 2, "two drops");
        DataplaneCounters c = gw.b.counters();
        assertEquals(1, c.dropped(DropReason.INGRESS_MALFORMED));
        assertEquals(1, c.dropped(DropReason.INGRESS_NOT_PSP));
        assertEquals(1, c.rxBad());
    }

    @Test
    final void samplingMarksAndMirrorsOneIn2ToTheN() throws Exception {
        gw = twoGateways(false, false, Needs.defaults().withSampleLog2(2), Needs.defaults());
        gw.connectAtoB(0);
        for (int seq = 0; seq < 400; seq++) {
            gw.hostA.send(udp(gw.vipA, gw.vipB, seq, 32));
        }
        int sBits = 0;
        for (byte[] wire : relay(gw.wireFromA, gw.wireToB, 400)) {
            sBits += (wire[20 + 8 + 3] & 0x80) != 0 ? 1 : 0;
        }
        assertEquals(100, sBits);
        eventually(() -> gw.b.counters().rxPackets() == 400, "all delivered");
        assertEquals(100, gw.a.counters().held(HoldReason.EGRESS_SAMPLE));
        assertEquals(100, gw.b.counters().held(HoldReason.INGRESS_SAMPLE));
        List<HeldPacket> samples = new ArrayList<>();
        gw.b.missQueue().drain(samples, 1000);
        assertEquals(100, samples.size());
        assertTrue(samples.stream().allMatch(h -> h.reason() == HoldReason.INGRESS_SAMPLE));
        // the mirror copy is the decrypted inner packet: every 4th sequence number
        assertEquals(3, ByteBuffer.wrap(samples.getFirst().packet()).getInt(28));
    }

    @Test
    final void missesNoTunnelCanServeStartNoSetUpAndAreCountedByReason() throws Exception {
        gw = twoGateways(true, true, Needs.defaults().withInnerIpVersion(6), Needs.defaults());
        InetAddress linkLocal = TwoGateways.address("fe80::1");
        gw.hostA.send(udp(linkLocal, TwoGateways.address("ff02::2"), 1, 8));        // a router solicitation's addresses
        gw.hostA.send(udp(gw.vipA, TwoGateways.address("ff02::16"), 2, 8));         // MLD
        gw.hostA.send(udp(linkLocal, TwoGateways.address("fe80::2"), 3, 8));        // link-local unicast
        gw.hostA.send(udp(TwoGateways.address("10.0.0.1"), TwoGateways.address("10.0.0.2"), 4, 8)); // IPv4, not selected
        gw.hostA.send(udp(gw.vipA, gw.vipB, 5, 8));                                 // a VIP: the one real miss
        eventually(() -> gw.a.counters().held(HoldReason.MISS) == 1, "the VIP's miss held");
        eventually(() -> gw.a.counters().dropped(DropReason.MISS_UNTUNNELLABLE_DESTINATION) == 3, "3 untunnellable");
        assertEquals(1, gw.a.counters().dropped(DropReason.MISS_OTHER_INNER_VERSION));
        List<HeldPacket> held = new ArrayList<>();
        gw.a.missQueue().drain(held, 10);
        assertEquals(List.of(FlowKey.of(gw.vipA, gw.vipB)), held.stream().map(HeldPacket::flow).toList(), "only the VIP reaches the slow path");

        // the default inner type is IPv4: there, an IPv6 miss is the one of the other version
        gw.close();
        gw = twoGateways(false, false, Needs.defaults(), Needs.defaults());
        gw.hostA.send(udp(TwoGateways.address("fd00::1"), TwoGateways.address("fd00::2"), 6, 8));
        gw.hostA.send(udp(gw.vipA, TwoGateways.address("224.0.0.251"), 7, 8));   // mDNS
        gw.hostA.send(udp(gw.vipA, TwoGateways.address("255.255.255.255"), 8, 8));
        eventually(() -> gw.a.counters().dropped(DropReason.MISS_OTHER_INNER_VERSION) == 1
                && gw.a.counters().dropped(DropReason.MISS_UNTUNNELLABLE_DESTINATION) == 2, "3 drops by reason");
        assertEquals(0, gw.a.missQueue().size());
    }

    @Test
    final void aFullMissQueueDropsAndCounts() throws Exception {
        gw = twoGateways(false, false, Needs.defaults().withMissQueueCapacity(4), Needs.defaults());
        for (int seq = 0; seq < 10; seq++) {
            gw.hostA.send(udp(gw.vipA, gw.vipB, seq, 10));
        }
        eventually(() -> gw.a.counters().held(HoldReason.MISS) + gw.a.counters().dropped(DropReason.MISS_QUEUE_FULL) == 10,
                "10 misses accounted for");
        assertEquals(4, gw.a.missQueue().size());
        assertEquals(6, gw.a.counters().dropped(DropReason.MISS_QUEUE_FULL));
    }

    @Test
    final void wipingTheSlotStopsTheEntryAndLeavesNoKey() throws Exception {
        gw = twoGateways(false, false, Needs.defaults(), Needs.defaults());
        gw.connectAtoB(3);
        assertEquals(1, TwoGateways.inspect(gw.a).keySlotsInUse());
        gw.a.wipeKeySlot(3);
        assertEquals(0, TwoGateways.inspect(gw.a).keySlotsInUse());
        gw.hostA.send(udp(gw.vipA, gw.vipB, 1, 10));
        eventually(() -> gw.a.counters().dropped(DropReason.EGRESS_NO_KEY_SLOT) == 1, "no-key-slot drop");
        assertEquals(0, gw.wireFromA.pending());
    }

    @Test
    final void keysSurviveOneRotationAndDieAtTheSecond() throws Exception {
        gw = twoGateways(false, false, Needs.defaults(), Needs.defaults());
        gw.connectAtoB(0);
        gw.b.rotateMasterKey();
        gw.hostA.send(udp(gw.vipA, gw.vipB, 1, 10));
        relay(gw.wireFromA, gw.wireToB, 1);
        assertNotNull(gw.hostB.take(5000), "previous generation still decrypts");
        gw.b.rotateMasterKey();
        gw.hostA.send(udp(gw.vipA, gw.vipB, 2, 10));
        relay(gw.wireFromA, gw.wireToB, 1);
        eventually(() -> gw.b.counters().rxAuthFail() == 1, "stale SPI rejected");
        assertEquals(2, gw.b.counters().keyRotations());
        // SPIs minted now carry the other master key bit
        int before = gw.b.mintSpiKeys(1, PspVersion.V0).getFirst().spi();
        gw.b.rotateMasterKey();
        int after = gw.b.mintSpiKeys(1, PspVersion.V0).getFirst().spi();
        assertFalse((before < 0) == (after < 0));
    }
}
