package io.pspgateway.dataplane.port;

import io.pspgateway.psp.PacketBuffer;
import java.io.IOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An in-memory port: one end of a two-ended link whose other end is another {@code MemoryPort}.
 * What one end sends, the other receives, in order; each direction is a bounded queue and a
 * full queue refuses the packet (the sender counts the drop). Tests use links to join two data
 * planes back to back, or to play the host behind a plain port.
 */
public final class MemoryPort implements PacketPort {
    private final String name;
    private final BlockingQueue<byte[]> inbound;
    private MemoryPort peer;
    private volatile boolean closed;

    private MemoryPort(String name, int capacity) {
        this.name = name;
        this.inbound = new ArrayBlockingQueue<>(capacity);
    }

    /** Two connected ends, each direction holding up to {@code capacity} packets. */
    public static MemoryPort[] link(String nameA, String nameB, int capacity) {
        MemoryPort a = new MemoryPort(nameA, capacity);
        MemoryPort b = new MemoryPort(nameB, capacity);
        a.peer = b;
        b.peer = a;
        return new MemoryPort[] {a, b};
    }

    @Override
    public int receive(PacketBuffer[] batch, long timeoutNanos) throws IOException {
        checkOpen();
        int n = 0;
        try {
            byte[] first = timeoutNanos > 0 ? inbound.poll(timeoutNanos, TimeUnit.NANOSECONDS) : inbound.poll();
            for (byte[] p = first; p != null && n < batch.length; p = n < batch.length ? inbound.poll() : null) {
                if (!batch[n].load(p, 0, p.length, PacketBuffer.DEFAULT_HEADROOM)) {
                    throw new IOException(name + ": a " + p.length + "-byte packet does not fit the receive buffer");
                }
                n++;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return n;
    }

    @Override
    public int send(PacketBuffer[] packets, int count) throws IOException {
        checkOpen();
        for (int i = 0; i < count; i++) {
            if (!peer.inbound.offer(packets[i].toByteArray())) {
                return i;
            }
        }
        return count;
    }

    /** Test helper: sends one packet's bytes; false when the other end's queue is full. */
    public boolean send(byte[] packet) {
        return !closed && peer.inbound.offer(packet.clone());
    }

    /** Test helper: the next packet for this end, waiting up to {@code timeoutMillis}; null if none came. */
    public byte[] take(long timeoutMillis) throws InterruptedException {
        return inbound.poll(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    /** The next packet for this end, or null at once when there is none. */
    public byte[] poll() {
        return inbound.poll();
    }

    /** Packets waiting to be received at this end. */
    public int pending() {
        return inbound.size();
    }

    /** Packets this end sent that the other end has not received yet. */
    public int sentPending() {
        return peer.inbound.size();
    }

    private void checkOpen() throws IOException {
        if (closed) {
            throw new IOException(name + " is closed");
        }
    }

    @Override
    public String name() {
        return "memory " + name;
    }

    @Override
    public void close() {
        closed = true;
    }
}
