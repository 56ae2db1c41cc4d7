package io.pspgateway.dataplane.port.offload;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The Internet checksum (RFC 1071) for the offload code: a running sum that callers add ranges
 * to, then fold. The sum is kept in a {@code long} of unfolded 32-bit words, which is the same
 * one's-complement sum as adding 16-bit words (the end-around carry makes the word size
 * irrelevant) and lets the loop take eight bytes a step: this runs once per segment made and per
 * coalesced frame, over up to 64 KB.
 */
public final class InternetChecksum {
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private InternetChecksum() {
    }

    /**
     * Adds {@code b[off, off+len)} as big-endian 16-bit words counted from {@code off} (an odd
     * last byte padded with zero) to {@code sum}. A range of at most 64 KB added to a sum from
     * this class cannot overflow.
     */
    public static long add(byte[] b, int off, int len, long sum) {
        int i = off;
        int end = off + len;
        for (; i + 8 <= end; i += 8) {
            long w = (long) LONGS.get(b, i);
            sum += (w >>> 32) + (w & 0xFFFF_FFFFL);
        }
        for (; i + 2 <= end; i += 2) {
            sum += ((b[i] & 0xFF) << 8) | (b[i + 1] & 0xFF);
        }
        if (i < end) {
            sum += (b[i] & 0xFF) << 8;
        }
        return sum;
    }

    /**
     * Adds the TCP/UDP pseudo-header: the source address at {@code b[addressOff]} and the
     * destination right after it ({@code addressLength} 4 or 16 bytes each, as in both IP
     * headers), the protocol and the layer-4 length.
     */
    public static long addPseudoHeader(byte[] b, int addressOff, int addressLength, int protocol, int l4Length, long sum) {
        return add(b, addressOff, 2 * addressLength, sum) + protocol + l4Length;
    }

    /** The sum folded to 16 bits, not inverted: what a partial checksum field holds. */
    public static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) sum;
    }

    /** The checksum to store: the folded sum inverted. */
    public static int finish(long sum) {
        return ~fold(sum) & 0xFFFF;
    }
}
