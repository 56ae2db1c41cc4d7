package io.pspgateway.dataplane;

import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import org.jctools.queues.MpscArrayQueue;

/**
 * The bounded queue from the packet threads to the slow path (DOCA's RSS queue): misses and
 * sampled copies. Packet threads offer without locks or waiting; when the queue is full the
 * packet is dropped and counted. One consumer (the miss poller) drains it in batches.
 */
public final class MissQueue {
    private final MpscArrayQueue<HeldPacket> queue;
    private final int capacity;
    private final LongAdder rejected = new LongAdder();

    public MissQueue(int capacity) {
        if (capacity < 2) {
            throw new IllegalArgumentException("miss queue capacity must be at least 2: " + capacity);
        }
        this.queue = new MpscArrayQueue<>(capacity);
        this.capacity = capacity;
    }

    /** Enqueues from any packet thread; false (and counted) when the queue is full. */
    public boolean offer(HeldPacket packet) {
        if (queue.offer(packet)) {
            return true;
        }
        rejected.increment();
        return false;
    }

    /** Moves up to {@code max} packets into {@code into}, oldest first; returns how many. Single consumer. */
    public int drain(List<HeldPacket> into, int max) {
        return queue.drain(into::add, max);
    }

    /** Packets waiting now. */
    public int size() {
        return queue.size();
    }

    public int capacity() {
        return capacity;
    }

    /** Packets refused because the queue was full, since start. */
    public long rejected() {
        return rejected.sum();
    }
}
