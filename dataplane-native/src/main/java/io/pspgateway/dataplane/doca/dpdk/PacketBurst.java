package io.pspgateway.dataplane.doca.dpdk;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Native buffers for one burst of packets in or out of a DPDK queue: {@code capacity} slots of
 * {@code slot} bytes each, and each packet's length and flow metadata ({@code pkt_meta}). The
 * shim copies received packets into it and sent ones out of it, so no mbuf reaches Java. One
 * owner thread at a time; {@link #close} frees the buffers.
 */
public final class PacketBurst implements AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private final int capacity;
    private final int slot;
    final MemorySegment data;
    final MemorySegment lengths;
    final MemorySegment metas;

    /** Buffers for up to {@code capacity} packets (at most {@link DpdkShim#BURST_MAX}) of up to {@code slot} bytes. */
    public PacketBurst(int capacity, int slot) {
        if (capacity < 1 || capacity > DpdkShim.BURST_MAX || slot < 64) {
            throw new IllegalArgumentException("a burst holds 1 to " + DpdkShim.BURST_MAX + " packets of at least 64 bytes: "
                    + capacity + " of " + slot);
        }
        this.capacity = capacity;
        this.slot = slot;
        this.data = arena.allocate((long) capacity * slot);
        this.lengths = arena.allocate(JAVA_INT, capacity);
        this.metas = arena.allocate(JAVA_INT, capacity);
    }

    public int capacity() {
        return capacity;
    }

    /** The most bytes of one packet a slot holds. */
    public int slot() {
        return slot;
    }

    /** The whole length of packet {@code i} as it was received (more than {@link #slot()}: only its first slot bytes are here). */
    public int length(int i) {
        return lengths.getAtIndex(JAVA_INT, i);
    }

    /** The flow metadata packet {@code i} carries (0: none). */
    public int metadata(int i) {
        return metas.getAtIndex(JAVA_INT, i);
    }

    /** A copy of packet {@code i}'s bytes (of those a slot held). */
    public byte[] packet(int i) {
        int n = Math.min(length(i), slot);
        byte[] out = new byte[n];
        MemorySegment.copy(data, JAVA_BYTE, (long) i * slot, out, 0, n);
        return out;
    }

    /**
     * Puts {@code packet} in slot {@code i}, to be sent with flow metadata {@code metadata} (0: none).
     *
     * @throws IllegalArgumentException when it is longer than a slot
     */
    public void put(int i, byte[] packet, int metadata) {
        if (packet.length > slot) {
            throw new IllegalArgumentException("a " + packet.length + "-byte packet does not fit a " + slot + "-byte slot");
        }
        MemorySegment.copy(packet, 0, data, JAVA_BYTE, (long) i * slot, packet.length);
        lengths.setAtIndex(JAVA_INT, i, packet.length);
        metas.setAtIndex(JAVA_INT, i, metadata);
    }

    @Override
    public void close() {
        arena.close();
    }
}
