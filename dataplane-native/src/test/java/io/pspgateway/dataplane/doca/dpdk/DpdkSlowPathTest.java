package io.pspgateway.dataplane.doca.dpdk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pspgateway.dataplane.DropReason;
import io.pspgateway.dataplane.FlowKey;
import io.pspgateway.dataplane.HeldPacket;
import io.pspgateway.dataplane.HoldReason;
import io.pspgateway.dataplane.MissQueue;
import io.pspgateway.dataplane.doca.DocaPipeline;
import io.pspgateway.dataplane.doca.SlowPath;
import io.pspgateway.psp.InnerPackets;
import io.pspgateway.psp.Ip;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The slow path over two ring ports joined back to back: it polls port {@code pf}; the test plays
 * the NIC on port {@code nic}, sending on queue q what the NIC's RSS would give poller q, and
 * receiving on queue q what the slow path sends on its transmit queue q.
 */
class DpdkSlowPathTest {
    private static final int POLLERS = 2;
    private static final int REINJECTION = POLLERS;
    private static final byte[] VF_MAC = NeighbourRepliesTest.VF_MAC;
    private static DpdkPort pf;
    private static DpdkPort nic;

    private MissQueue misses;
    private DpdkSlowPath slowPath;
    private PacketBurst toPf;
    private PacketBurst fromPf;
    private int nicMbufs;

    @BeforeAll
    static void pair() throws Exception {
        int[] ports = TestEal.ringPair("slowpath", POLLERS + 1);
        pf = DpdkPort.open(TestEal.get(), ports[0], new DpdkPort.Settings(POLLERS, POLLERS + 1, 256, 1023, 2176, true));
        nic = DpdkPort.open(TestEal.get(), ports[1], new DpdkPort.Settings(POLLERS + 1, POLLERS + 1, 256, 1023, 2176, false));
    }

    @BeforeEach
    void start() {
        misses = new MissQueue(64);
        slowPath = DpdkSlowPath.start(pf, misses, new DpdkSlowPath.Settings(POLLERS, 32, 2048, Duration.ofMillis(1), 4));
        toPf = new PacketBurst(8, 2048);
        fromPf = new PacketBurst(8, 2048);
        nicMbufs = nic.mbufsAvailable();
    }

    @AfterEach
    void stop() {
        slowPath.close();
        // every mbuf the NIC side sent came from its pool, and the slow path freed each at once
        assertEquals(nicMbufs, nic.mbufsAvailable(), "the slow path kept no mbuf");
        toPf.close();
        fromPf.close();
    }

    private void sendToPoller(int queue, byte[] frame, int metadata) {
        toPf.put(0, frame, metadata);
        assertEquals(1, nic.send(queue, toPf, 1));
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "not within 5 s: " + what);
            Thread.sleep(1);
        }
    }

    /**
     * The first {@code count} packets the slow path put on the miss queue, waiting for them (the
     * queue counts a packet a moment before a consumer can take it, so its size alone is no sign).
     */
    private List<HeldPacket> taken(int count) throws InterruptedException {
        List<HeldPacket> held = new ArrayList<>();
        await(() -> {
            misses.drain(held, count - held.size());
            return held.size() == count;
        }, count + " packet(s) on the miss queue");
        return held;
    }

    /** What the slow path sent on transmit queue {@code queue}, waiting for {@code count} packets. */
    private List<byte[]> receivedFromPf(int queue, int count, List<Integer> metadata) throws InterruptedException {
        List<byte[]> got = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (got.size() < count && System.nanoTime() < deadline) {
            int n = nic.receive(queue, fromPf);
            for (int i = 0; i < n; i++) {
                got.add(fromPf.packet(i));
                metadata.add(fromPf.metadata(i));
            }
            if (n == 0) {
                Thread.sleep(1);
            }
        }
        return got;
    }

    private static byte[] ipv4Frame(String source, String destination, int seq) throws Exception {
        return InnerPackets.ethernet(InnerPackets.udp(InetAddress.getByName(source), InetAddress.getByName(destination), seq));
    }

    @Test
    void aMissOnEitherQueueIsHeldWithItsVipPairAndWholeFrame() throws Exception {
        byte[] first = ipv4Frame("10.1.0.1", "10.2.0.7", 1);
        byte[] second = ipv4Frame("10.1.0.2", "10.3.0.9", 2);
        sendToPoller(0, first, 0);
        sendToPoller(1, second, 0);
        List<HeldPacket> held = taken(2);
        held.sort((a, b) -> Integer.compare(InnerPackets.sequence(Arrays.copyOfRange(a.packet(), 14, a.packet().length)),
                InnerPackets.sequence(Arrays.copyOfRange(b.packet(), 14, b.packet().length))));
        assertEquals(HoldReason.MISS, held.get(0).reason());
        assertEquals(FlowKey.of(InetAddress.getByName("10.1.0.1"), InetAddress.getByName("10.2.0.7")), held.get(0).flow());
        assertArrayEquals(first, held.get(0).packet());
        assertEquals(FlowKey.of(InetAddress.getByName("10.1.0.2"), InetAddress.getByName("10.3.0.9")), held.get(1).flow());
        assertArrayEquals(second, held.get(1).packet());
        SlowPath.Counters c = slowPath.counters();
        assertEquals(2, c.traffic().received());
        assertEquals(Map.of(HoldReason.MISS, 2L), c.held());
        assertEquals(Map.of(), c.drops());
    }

    @Test
    void sampledCopiesAreHeldAsSamplesByTheirMetadataNeverAsMisses() throws Exception {
        sendToPoller(0, ipv4Frame("10.1.0.1", "10.2.0.7", 1), DocaPipeline.INGRESS_SAMPLE_TAG);
        sendToPoller(1, ipv4Frame("10.1.0.1", "10.2.0.8", 2), DocaPipeline.EGRESS_SAMPLE_TAG);
        List<HeldPacket> held = taken(2);
        assertEquals(Set.of(HoldReason.EGRESS_SAMPLE, HoldReason.INGRESS_SAMPLE), held.stream().map(HeldPacket::reason)
                .collect(Collectors.toSet()));
        assertEquals(Map.of(HoldReason.INGRESS_SAMPLE, 1L, HoldReason.EGRESS_SAMPLE, 1L), slowPath.counters().held());
    }

    @Test
    void anArpRequestFromTheVfIsAnsweredWithThePfMacOnThePollersQueueForTheVf() throws Exception {
        byte[] request = NeighbourRepliesTest.arp(1, new byte[] {10, 1, 0, 1}, new byte[] {10, 1, 0, (byte) 254});
        sendToPoller(1, request, 0);
        List<Integer> metadata = new ArrayList<>();
        List<byte[]> answers = receivedFromPf(1, 1, metadata);
        assertEquals(1, answers.size(), "one answer on transmit queue 1");
        byte[] reply = answers.getFirst();
        assertEquals(List.of(DocaPipeline.TO_VF_TAG), metadata, "marked for the egress root to deliver to the VF");
        assertArrayEquals(VF_MAC, Arrays.copyOfRange(reply, 0, 6), "to the asker");
        assertArrayEquals(pf.mac(), Arrays.copyOfRange(reply, 6, 12), "from the PF");
        assertEquals(2, Ip.u16(reply, 20), "an ARP reply");
        assertArrayEquals(pf.mac(), Arrays.copyOfRange(reply, 22, 28), "the PF's MAC answers");
        assertArrayEquals(new byte[] {10, 1, 0, (byte) 254}, Arrays.copyOfRange(reply, 28, 32), "for the address asked for");
        assertArrayEquals(Arrays.copyOfRange(request, 22, 32), Arrays.copyOfRange(reply, 32, 42), "to the asker's MAC and address");
        assertEquals(1, slowPath.counters().traffic().arpAnswered());
        assertEquals(0, misses.size(), "neighbour discovery is never a miss");
    }

    @Test
    void aNeighbourSolicitationFromTheVfIsAnsweredForTheVf() throws Exception {
        sendToPoller(0, NeighbourRepliesTest.solicitation("fd00::a", "fd00::2"), 0);
        List<Integer> metadata = new ArrayList<>();
        List<byte[]> answers = receivedFromPf(0, 1, metadata);
        assertEquals(1, answers.size(), "one answer on transmit queue 0");
        assertEquals(List.of(DocaPipeline.TO_VF_TAG), metadata);
        assertEquals(136, Ip.u8(answers.getFirst(), 54), "a neighbour advertisement");
        assertArrayEquals(pf.mac(), Arrays.copyOfRange(answers.getFirst(), 80, 86), "naming the PF's MAC");
        assertEquals(1, slowPath.counters().traffic().ndAnswered());
    }

    @Test
    void heldPacketsGoBackInOrderOnTheirOwnQueueWithNoMetadata() throws Exception {
        List<byte[]> frames = List.of(ipv4Frame("10.1.0.1", "10.2.0.7", 1), ipv4Frame("10.1.0.1", "10.2.0.7", 2),
                ipv4Frame("10.1.0.1", "10.2.0.7", 3));
        FlowKey flow = FlowKey.of(InetAddress.getByName("10.1.0.1"), InetAddress.getByName("10.2.0.7"));
        for (byte[] f : frames) {
            slowPath.reinject(new HeldPacket(HoldReason.MISS, flow, f, System.nanoTime()));
        }
        List<Integer> metadata = new ArrayList<>();
        List<byte[]> back = receivedFromPf(REINJECTION, 3, metadata);
        assertEquals(3, back.size());
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(frames.get(i), back.get(i), "packet " + i + ", in order");
        }
        assertEquals(List.of(DocaPipeline.TO_ENCRYPT_TAG, DocaPipeline.TO_ENCRYPT_TAG, DocaPipeline.TO_ENCRYPT_TAG), metadata, "re-injected with no metadata: the egress root's miss path, now its encrypt entry");
        assertEquals(3, slowPath.counters().traffic().reinjected());
        for (int q = 0; q < POLLERS; q++) {
            assertEquals(0, nic.receive(q, fromPf), "nothing on poller queue " + q);
        }
    }

    @Test
    void whatIsNoMissNorNeighbourDiscoveryIsDroppedUnderItsReason() throws Exception {
        byte[] lldp = new byte[60];
        Ip.putU16(lldp, 12, 0x88CC);
        sendToPoller(0, lldp, 0);
        sendToPoller(0, ipv4Frame("10.1.0.1", "224.0.0.251", 1), 0);
        sendToPoller(1, InnerPackets.ethernet(InnerPackets.udp(InetAddress.getByName("fd00::1"), InetAddress.getByName("fd00::2"), 2)), 0);
        sendToPoller(1, NeighbourRepliesTest.arp(2, new byte[] {10, 1, 0, 1}, new byte[] {10, 1, 0, 2}), 0);
        await(() -> slowPath.counters().drops().values().stream().mapToLong(Long::longValue).sum() == 4, "four drops");
        assertEquals(Map.of(DropReason.EGRESS_MALFORMED, 1L, DropReason.MISS_UNTUNNELLABLE_DESTINATION, 1L,
                DropReason.MISS_OTHER_INNER_VERSION, 1L, DropReason.NEIGHBOUR_NOT_ANSWERED, 1L), slowPath.counters().drops());
        assertEquals(0, misses.size());
    }

    @Test
    void framesOfRandomBytesAreEachHeldOrDroppedUnderAReasonAndThePollersGoOn() throws Exception {
        java.util.Random random = new java.util.Random(20261204);
        int sent = 0;
        for (int round = 0; round < 8; round++) {
            int n = 8;
            for (int i = 0; i < n; i++) {
                byte[] frame = new byte[1 + random.nextInt(200)];
                random.nextBytes(frame);
                if (random.nextBoolean() && frame.length > 14) {
                    // an IPv4, IPv6 or ARP Ethertype over random bytes, so that the parsers are reached
                    Ip.putU16(frame, 12, new int[] {0x0800, 0x86DD, 0x0806}[random.nextInt(3)]);
                }
                toPf.put(i, frame, random.nextInt(4) == 0 ? DocaPipeline.INGRESS_SAMPLE_TAG : 0);
            }
            assertEquals(n, nic.send(round % POLLERS, toPf, n));
            sent += n;
        }
        int all = sent;
        await(() -> slowPath.counters().traffic().received() == all, "every frame received");
        SlowPath.Counters c = slowPath.counters();
        long accounted = c.held().values().stream().mapToLong(Long::longValue).sum() + c.drops().values().stream().mapToLong(Long::longValue).sum()
                + c.traffic().arpAnswered() + c.traffic().ndAnswered();
        assertEquals(sent, accounted, "each frame held, answered or dropped under a reason: " + c);
        assertEquals(0, c.drops().getOrDefault(DropReason.INTERNAL_ERROR, 0L), "no frame broke the sorting: " + c);
        // the pollers are still there: a well-formed miss after the garbage is held
        misses.drain(new ArrayList<>(), 1000);
        sendToPoller(0, ipv4Frame("10.1.0.1", "10.2.0.7", 1), 0);
        assertEquals(FlowKey.of(InetAddress.getByName("10.1.0.1"), InetAddress.getByName("10.2.0.7")), taken(1).getFirst().flow(),
                "a miss after the random frames");
        drainAnswers();
    }

    /** Takes whatever answers the slow path sent back (ARP frames among the random ones may have been answered). */
    private void drainAnswers() {
        for (int q = 0; q < POLLERS; q++) {
            while (nic.receive(q, fromPf) > 0) {
                // discarded: the test counted them through the slow path's counters
            }
        }
    }

    @Test
    void aMissTheFullQueueCannotTakeIsCounted() throws Exception {
        slowPath.close();
        misses = new MissQueue(2);
        slowPath = DpdkSlowPath.start(pf, misses, new DpdkSlowPath.Settings(POLLERS, 32, 2048, Duration.ofMillis(1), 4));
        for (int i = 0; i < 3; i++) {
            toPf.put(i, ipv4Frame("10.1.0.1", "10.2.0." + (i + 1), i), 0);
        }
        assertEquals(3, nic.send(0, toPf, 3));
        await(() -> slowPath.counters().traffic().received() == 3, "three received");
        assertEquals(Map.of(HoldReason.MISS, 2L), slowPath.counters().held());
        assertEquals(Map.of(DropReason.MISS_QUEUE_FULL, 1L), slowPath.counters().drops());
    }

    @Test
    void aPacketLongerThanTheSlotIsDroppedAndCounted() throws Exception {
        slowPath.close();
        slowPath = DpdkSlowPath.start(pf, misses, new DpdkSlowPath.Settings(POLLERS, 32, 128, Duration.ofMillis(1), 4));
        sendToPoller(0, InnerPackets.ethernet(InnerPackets.udp(InetAddress.getByName("10.1.0.1"), InetAddress.getByName("10.2.0.1"), 1, 400)), 0);
        await(() -> slowPath.counters().traffic().received() == 1, "received");
        assertEquals(Map.of(DropReason.PORT_RECEIVE_DROPS, 1L), slowPath.counters().drops());
    }

    @Test
    void closeStopsThePollersAndAHeldPacketAfterwardsIsCountedNotSent() throws Exception {
        slowPath.close();
        assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().startsWith("pspgw-rss-")), "pollers gone");
        slowPath.reinject(new HeldPacket(HoldReason.MISS, new FlowKey().copy(), ipv4Frame("10.1.0.1", "10.2.0.7", 1), 0));
        assertEquals(Map.of(DropReason.REINJECT_FAILED, 1L), slowPath.counters().drops());
        assertEquals(0, nic.receive(REINJECTION, fromPf));
    }
}
