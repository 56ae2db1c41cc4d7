package io.pspgateway.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class MissPollerTest {
    private static HeldPacket held(int i) throws Exception {
        return new HeldPacket(HoldReason.MISS, FlowKey.of(InetAddress.getByName("10.0.0.1"), InetAddress.getByName("10.0.0.2")),
                new byte[] {(byte) i}, System.nanoTime());
    }

    @Test
    void deliversEveryPacketOnceInOrderInBoundedBatches() throws Exception {
        MissQueue queue = new MissQueue(1000);
        List<List<HeldPacket>> batches = new CopyOnWriteArrayList<>();
        try (MissPoller poller = MissPoller.start(queue, 16, batches::add)) {
            for (int i = 0; i < 100; i++) {
                assertTrue(queue.offer(held(i)));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (batches.stream().mapToInt(List::size).sum() < 100 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
        }
        List<HeldPacket> all = new ArrayList<>();
        batches.forEach(all::addAll);
        assertEquals(100, all.size());
        for (int i = 0; i < 100; i++) {
            assertEquals((byte) i, all.get(i).packet()[0]);
        }
        assertTrue(batches.stream().allMatch(b -> !b.isEmpty() && b.size() <= 16));
        assertEquals(0, queue.size());
    }

    @Test
    void aFullQueueRefusesAndCounts() throws Exception {
        MissQueue queue = new MissQueue(2);
        assertTrue(queue.offer(held(1)));
        assertTrue(queue.offer(held(2)));
        assertFalse(queue.offer(held(3)));
        assertEquals(1, queue.rejected());
        List<HeldPacket> out = new ArrayList<>();
        assertEquals(2, queue.drain(out, 10));
        assertTrue(queue.offer(held(4)), "room again after draining");
    }
}
