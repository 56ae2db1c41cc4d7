package io.pspgateway.psp;

import java.nio.ByteBuffer;

/**
 * Flyweight over a PSP header inside a packet buffer: it copies nothing and allocates nothing,
 * so one instance per packet thread is re-pointed at each packet with {@link #wrap}.
 *
 * <pre>
 *  byte 0      Next Header         byte 1  Hdr Ext Len (8-byte units beyond the first 8 bytes)
 *  byte 2      R R | Crypt Offset (6 bits, 4-byte units, counted from the end of the IV)
 *  byte 3      S D | Version (4 bits) | V | 1
 *  bytes 4-7   SPI (bit 31 selects master key 1)
 *  bytes 8-15  IV
 *  bytes 16-23 Virtualization Cookie, present when V = 1
 * </pre>
 *
 * All multi-byte fields are big-endian. The accessors do not check bounds beyond what the
 * buffer does: callers validate lengths first (see {@link PspOpener}).
 */
public final class PspHeader {
    /** Length of the base header (everything up to and including the IV). */
    public static final int BASE_LENGTH = 16;
    /** Length of the Virtualization Cookie. */
    public static final int VC_LENGTH = 8;
    /** Length of the ICV trailer (the GCM tag). */
    public static final int ICV_LENGTH = 16;
    /** Hdr Ext Len without a cookie (a 16-byte header). */
    public static final int EXT_LEN_NO_VC = 1;
    /** Hdr Ext Len with an 8-byte cookie (a 24-byte header). */
    public static final int EXT_LEN_WITH_VC = 2;
    /** Largest crypt offset the 6-bit field can carry, in 4-byte units. */
    public static final int MAX_CRYPT_OFFSET_WORDS = 63;
    /** Crypt offset unit in bytes. */
    public static final int CRYPT_OFFSET_UNIT = 4;
    /** The well-known UDP destination port of PSP. */
    public static final int UDP_PORT = 1000;

    private static final int S_BIT = 0x80;
    private static final int D_BIT = 0x40;
    private static final int V_BIT = 0x02;
    private static final int ALWAYS_ONE = 0x01;
    private static final int RESERVED_BITS = 0xC0;
    private static final int CRYPT_OFFSET_MASK = 0x3F;

    private ByteBuffer buf;
    private int off;

    /** Points this flyweight at the header starting at absolute index {@code offset} of {@code buffer}. */
    public PspHeader wrap(ByteBuffer buffer, int offset) {
        this.buf = buffer;
        this.off = offset;
        return this;
    }

    public int nextHeader() {
        return buf.get(off) & 0xFF;
    }

    public int hdrExtLen() {
        return buf.get(off + 1) & 0xFF;
    }

    /** Bytes of header extension after the base header: (Hdr Ext Len - 1) * 8, or -1 when Hdr Ext Len is 0. */
    public int extensionBytes() {
        return (hdrExtLen() - 1) * 8;
    }

    public int reservedBits() {
        return (buf.get(off + 2) & RESERVED_BITS) >>> 6;
    }

    public int cryptOffsetWords() {
        return buf.get(off + 2) & CRYPT_OFFSET_MASK;
    }

    public int cryptOffsetBytes() {
        return cryptOffsetWords() * CRYPT_OFFSET_UNIT;
    }

    public boolean sampleBit() {
        return (buf.get(off + 3) & S_BIT) != 0;
    }

    public boolean dropBit() {
        return (buf.get(off + 3) & D_BIT) != 0;
    }

    /** The raw 4-bit Version field; see {@link PspVersion#fromWire}. */
    public int versionField() {
        return (buf.get(off + 3) >>> 2) & 0x0F;
    }

    public boolean cookiePresent() {
        return (buf.get(off + 3) & V_BIT) != 0;
    }

    public boolean alwaysOneBit() {
        return (buf.get(off + 3) & ALWAYS_ONE) != 0;
    }

    public int spi() {
        return buf.getInt(off + 4);
    }

    public long iv() {
        return buf.getLong(off + 8);
    }

    /** The Virtualization Cookie; only meaningful when {@link #cookiePresent()}. */
    public long cookie() {
        return buf.getLong(off + BASE_LENGTH);
    }

    public PspHeader setSampleBit(boolean on) {
        int b = buf.get(off + 3) & 0xFF;
        buf.put(off + 3, (byte) (on ? b | S_BIT : b & ~S_BIT));
        return this;
    }

    /**
     * Writes a complete header (and the cookie when {@code withCookie}) at the wrapped offset.
     * Reserved bits, S and D are written as zero.
     */
    public PspHeader write(int nextHeader, int cryptOffsetWords, PspVersion version,
                           boolean withCookie, int spi, long iv, long cookie) {
        buf.put(off, (byte) nextHeader);
        buf.put(off + 1, (byte) (withCookie ? EXT_LEN_WITH_VC : EXT_LEN_NO_VC));
        buf.put(off + 2, (byte) (cryptOffsetWords & CRYPT_OFFSET_MASK));
        buf.put(off + 3, (byte) ((version.wire() << 2) | (withCookie ? V_BIT : 0) | ALWAYS_ONE));
        buf.putInt(off + 4, spi);
        buf.putLong(off + 8, iv);
        if (withCookie) {
            buf.putLong(off + BASE_LENGTH, cookie);
        }
        return this;
    }

    /** Length of a header with or without the cookie. */
    public static int length(boolean withCookie) {
        return withCookie ? BASE_LENGTH + VC_LENGTH : BASE_LENGTH;
    }
}
