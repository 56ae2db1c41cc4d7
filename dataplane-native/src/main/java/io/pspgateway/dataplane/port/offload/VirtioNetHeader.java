package io.pspgateway.dataplane.port.offload;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * {@code struct virtio_net_hdr} (10 bytes), which a TUN device opened with {@code IFF_VNET_HDR}
 * puts before every packet it hands over and expects before every packet written to it. Its
 * fields are in the host's byte order (a TUN device is little-endian only when told so, and
 * this project does not): {@code flags} u8, {@code gso_type} u8, {@code hdr_len},
 * {@code gso_size}, {@code csum_start}, {@code csum_offset} u16.
 */
public final class VirtioNetHeader {
    public static final int LENGTH = 10;
    /** The layer-4 checksum is partial: complete it from csum_start, store it at csum_start + csum_offset. */
    public static final int F_NEEDS_CSUM = 1;
    public static final int GSO_NONE = 0;
    public static final int GSO_TCPV4 = 1;
    public static final int GSO_UDP = 3;
    public static final int GSO_TCPV6 = 4;
    public static final int GSO_UDP_L4 = 5;
    /** Or'ed into gso_type: the flow uses ECN, the first segment carries CWR. */
    public static final int GSO_ECN = 0x80;

    private static final VarHandle U16 = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.nativeOrder());

    private VirtioNetHeader() {
    }

    public static int flags(byte[] b, int off) {
        return b[off] & 0xFF;
    }

    public static int gsoType(byte[] b, int off) {
        return b[off + 1] & 0xFF;
    }

    public static int gsoSize(byte[] b, int off) {
        return u16(b, off + 4);
    }

    public static int csumStart(byte[] b, int off) {
        return u16(b, off + 6);
    }

    public static int csumOffset(byte[] b, int off) {
        return u16(b, off + 8);
    }

    /** Writes a header; {@code hdrLen} is the length of the IP and TCP headers that every segment repeats. */
    public static void write(byte[] b, int off, int flags, int gsoType, int hdrLen, int gsoSize, int csumStart, int csumOffset) {
        b[off] = (byte) flags;
        b[off + 1] = (byte) gsoType;
        U16.set(b, off + 2, (short) hdrLen);
        U16.set(b, off + 4, (short) gsoSize);
        U16.set(b, off + 6, (short) csumStart);
        U16.set(b, off + 8, (short) csumOffset);
    }

    /** A header saying "one packet, checksums complete". */
    public static void writePlain(byte[] b, int off) {
        write(b, off, 0, GSO_NONE, 0, 0, 0, 0);
    }

    private static int u16(byte[] b, int off) {
        return (short) U16.get(b, off) & 0xFFFF;
    }
}
