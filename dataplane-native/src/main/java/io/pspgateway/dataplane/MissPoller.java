package io.pspgateway.dataplane;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The RSS poller: one platform thread that drains a {@link MissQueue} in batches and hands each
 * batch to one subscriber (the control plane's MissHandler). When the queue is empty it backs
 * off briefly, so an idle gateway costs almost nothing.
 */
public final class MissPoller implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MissPoller.class);
    private static final long IDLE_PARK_NANOS = TimeUnit.MICROSECONDS.toNanos(200);

    private final MissQueue queue;
    private final int batchSize;
    private final Consumer<List<HeldPacket>> subscriber;
    private final Thread thread;
    private volatile boolean running = true;

    private MissPoller(MissQueue queue, int batchSize, Consumer<List<HeldPacket>> subscriber) {
        this.queue = queue;
        this.batchSize = batchSize;
        this.subscriber = subscriber;
        this.thread = Thread.ofPlatform().name("psp-miss-poller").daemon(true).unstarted(this::run);
    }

    /** Starts polling {@code queue}; each non-empty batch (at most {@code batchSize}) goes to {@code subscriber}. */
    public static MissPoller start(MissQueue queue, int batchSize, Consumer<List<HeldPacket>> subscriber) {
        MissPoller p = new MissPoller(queue, batchSize, subscriber);
        p.thread.start();
        return p;
    }

    private void run() {
        while (running) {
            List<HeldPacket> batch = new ArrayList<>(Math.min(batchSize, 64));
            if (queue.drain(batch, batchSize) == 0) {
                LockSupport.parkNanos(IDLE_PARK_NANOS);
                continue;
            }
            try {
                subscriber.accept(batch);
            } catch (RuntimeException e) {
                log.error("miss subscriber failed on a batch of {} packets; they are lost", batch.size(), e);
            }
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
