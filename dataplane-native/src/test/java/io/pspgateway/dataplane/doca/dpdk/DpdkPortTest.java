package io.pspgateway.dataplane.doca.dpdk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The shim's bursts over DPDK's ring driver, whose transmit queue N feeds its receive queue N. */
class DpdkPortTest {
    /** The queue no poller uses in these tests: what is sent on it comes back on its receive twin. */
    private static final int LOOP = 2;

    private static byte[] frame(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (seed * 31 + i);
        }
        return b;
    }

    @Test
    void aBurstSentComesBackInOrderWithItsBytesLengthsAndMetadataAndEveryMbufBackInThePool() throws Exception {
        DpdkPort port = TestEal.sharedPort();
        int free = port.mbufsAvailable();
        byte[][] sent = {frame(60, 1), frame(1514, 2), frame(98, 3)};
        int[] metas = {0x78787878, 0, 0x43434343};
        try (PacketBurst out = new PacketBurst(8, 2048); PacketBurst in = new PacketBurst(8, 2048)) {
            for (int i = 0; i < sent.length; i++) {
                out.put(i, sent[i], metas[i]);
            }
            assertEquals(3, port.send(LOOP, out, 3));
            assertEquals(3, port.receive(LOOP, in));
            for (int i = 0; i < sent.length; i++) {
                assertEquals(sent[i].length, in.length(i));
                assertArrayEquals(sent[i], in.packet(i), "packet " + i);
                assertEquals(metas[i], in.metadata(i), "metadata of packet " + i);
            }
            assertEquals(0, port.receive(LOOP, in), "nothing more");
        }
        assertEquals(free, port.mbufsAvailable(), "every mbuf went back to the pool");
    }

    @Test
    void aPacketLongerThanTheSlotIsReportedWhole() throws Exception {
        DpdkPort port = TestEal.sharedPort();
        try (PacketBurst out = new PacketBurst(1, 2048); PacketBurst in = new PacketBurst(1, 64)) {
            byte[] big = frame(200, 7);
            out.put(0, big, 0);
            assertEquals(1, port.send(LOOP, out, 1));
            assertEquals(1, port.receive(LOOP, in));
            assertEquals(200, in.length(0), "the whole length, though the slot held less");
            assertArrayEquals(Arrays.copyOf(big, 64), in.packet(0), "the first 64 bytes");
        }
    }

    @Test
    void whatTheDriverRefusesIsNotSentAndItsMbufsGoBack() throws Exception {
        DpdkPort port = TestEal.sharedPort();
        int free = port.mbufsAvailable();
        int taken = 0;
        try (PacketBurst out = new PacketBurst(64, 128); PacketBurst in = new PacketBurst(256, 128)) {
            for (int i = 0; i < 64; i++) {
                out.put(i, frame(64, i), 0);
            }
            // the ring holds fewer packets than the pool has mbufs: send until it refuses some
            int sent;
            do {
                sent = port.send(LOOP, out, 64);
                taken += sent;
            } while (sent == 64 && taken < 1900);
            assertTrue(sent < 64, "the ring refused part of a burst (took " + taken + ")");
            assertEquals(free - taken, port.mbufsAvailable(), "only the mbufs the ring holds are out of the pool");
            int received = 0;
            for (int n; (n = port.receive(LOOP, in)) > 0; ) {
                received += n;
            }
            assertEquals(taken, received, "what the driver took comes back, nothing else");
        }
        assertEquals(free, port.mbufsAvailable(), "every mbuf back");
    }

    @Test
    void aQueueThePortDoesNotHaveIsRefusedBeforeDpdkIsCalled() throws Exception {
        DpdkPort port = TestEal.sharedPort();
        try (PacketBurst burst = new PacketBurst(1, 128)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> port.receive(3, burst));
            assertTrue(e.getMessage().contains("3 receive queue(s), no queue 3"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> port.send(-1, burst, 1));
            assertThrows(IllegalArgumentException.class, () -> port.send(0, burst, 2));
        }
    }

    @Test
    void aPacketThatFitsNoMbufIsRefused() throws Exception {
        DpdkPort port = TestEal.sharedPort();
        try (PacketBurst out = new PacketBurst(1, 4096)) {
            out.put(0, frame(3000, 1), 0);
            DpdkException e = assertThrows(DpdkException.class, () -> port.send(LOOP, out, 1));
            assertEquals(22, e.errno(), e.getMessage());
        }
    }

    @Test
    void closingStopsThePortAndFreesItsPool() throws Exception {
        Eal eal = TestEal.get();
        int[] above = TestEal.ringPair("above", 1);
        int ports = eal.portCount();
        DpdkPort second = DpdkPort.open(eal, 1, new DpdkPort.Settings(1, 1, 64, 255, 2176, false));
        assertEquals("net_ring", second.driver());
        assertEquals(6, second.mac().length);
        second.close();
        second.close();
        assertEquals(ports - 1, eal.portCount(), "the closed port is gone from DPDK");
        // the ids are not dense now: the highest is at least the count, and still opens
        assertTrue(above[1] >= eal.portCount(), above[1] + " of " + eal.portCount());
        try (DpdkPort highest = DpdkPort.open(eal, above[1], new DpdkPort.Settings(1, 1, 64, 255, 2176, false))) {
            assertEquals(above[1], highest.id());
        }
    }

    @Test
    void aPortDpdkDoesNotHaveIsRefused() throws Exception {
        Eal eal = TestEal.get();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DpdkPort.open(eal, 500, new DpdkPort.Settings(1, 1, 64, 255, 2176, false)));
        assertTrue(e.getMessage().contains("no port 500"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DpdkPort.open(eal, 70_000, new DpdkPort.Settings(1, 1, 64, 255, 2176, false)));
    }
}
