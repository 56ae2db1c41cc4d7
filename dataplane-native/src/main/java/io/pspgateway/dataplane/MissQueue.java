package io.pspgateway.dataplane;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The bounded queue from the packet threads to the slow path (DOCA's RSS queue): misses and
 * sampled copies. Packet threads offer without locks or waiting (a CAS-based queue and an atomic
 * size that enforces the bound); when the queue is full the packet is refused and counted. One
 * consumer (the miss poller) drains it in batches, oldest first.
 */
public final class MissQueue {
    private final ConcurrentLinkedQueue<HeldPacket> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger size = new AtomicInteger();
    private final int capacity;
    private final LongAdder rejected = new LongAdder();

    public MissQueue(int capacity) {
        if (capacity < 2) {
            throw new IllegalArgumentException("miss queue capacity must be at least 2: " + capacity);
        }
        this.capacity = capacity;
    }

    /** Enqueues from any packet thread; false (and counted) when the queue is full. */
    public boolean offer(HeldPacket packet) {
        if (size.incrementAndGet() > capacity) {
            size.decrementAndGet();
            rejected.increment();
            return false;
        }
        queue.offer(packet);
        return true;
    }

    /** Moves up to {@code max} packets into {@code into}, oldest first; returns how many. Single consumer. */
    public int drain(List<HeldPacket> into, int max) {
        int n = 0;
        for (HeldPacket p; n < max && (p = queue.poll()) != null; n++) {
            into.add(p);
            size.decrementAndGet();
        }
        return n;
    }

    /** Packets waiting now. */
    public int size() {
        return size.get();
    }

    public int capacity() {
        return capacity;
    }

    /** Packets refused because the queue was full, since start. */
    public long rejected() {
        return rejected.sum();
    }
}
