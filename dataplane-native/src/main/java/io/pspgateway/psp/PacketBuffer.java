package io.pspgateway.psp;

import java.nio.ByteBuffer;

/**
 * A packet in a reusable byte array, with headroom before it and tailroom after it so that
 * encapsulation can grow the packet in place (like the kernel's sk_buff). The packet occupies
 * {@code [start, end)} of {@link #array()}. Packet threads own their buffers; nothing here is
 * thread-safe.
 */
public final class PacketBuffer {
    /** Headroom that fits the largest PSP encapsulation: IPv6 + UDP + PSP header + cookie. */
    public static final int DEFAULT_HEADROOM = 128;

    private final byte[] data;
    private final ByteBuffer view;
    private int start;
    private int end;

    public PacketBuffer(int capacity) {
        this.data = new byte[capacity];
        this.view = ByteBuffer.wrap(data);
    }

    public byte[] array() {
        return data;
    }

    /** A big-endian view of the whole array; absolute indexes equal array indexes. */
    public ByteBuffer buffer() {
        return view;
    }

    public int start() {
        return start;
    }

    public int end() {
        return end;
    }

    public int length() {
        return end - start;
    }

    public int headroom() {
        return start;
    }

    public int tailroom() {
        return data.length - end;
    }

    public int capacity() {
        return data.length;
    }

    /** Sets the packet's bounds; both must lie within the array and start must not pass end. */
    public void setBounds(int newStart, int newEnd) {
        if (newStart < 0 || newEnd > data.length || newStart > newEnd) {
            throw new IndexOutOfBoundsException("bounds [" + newStart + ", " + newEnd + ") outside [0, " + data.length + ")");
        }
        start = newStart;
        end = newEnd;
    }

    /**
     * Copies {@code len} bytes of {@code src} in as the packet, leaving {@code headroom} bytes in
     * front. Returns false, leaving the buffer unchanged, when the packet does not fit.
     */
    public boolean load(byte[] src, int off, int len, int headroom) {
        if (headroom < 0 || len < 0 || (long) headroom + len > data.length) {
            return false;
        }
        System.arraycopy(src, off, data, headroom, len);
        start = headroom;
        end = headroom + len;
        return true;
    }

    /** A copy of the packet's bytes. Allocates: for tools and tests, not the packet path. */
    public byte[] toByteArray() {
        byte[] out = new byte[length()];
        System.arraycopy(data, start, out, 0, out.length);
        return out;
    }
}
