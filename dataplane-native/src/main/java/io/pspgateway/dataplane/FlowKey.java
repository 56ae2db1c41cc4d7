package io.pspgateway.dataplane;

import io.pspgateway.psp.IpText;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * The key of the flow tables: an inner (source VIP, destination VIP) pair, optionally with an
 * SPI (the ingress ACL's key). IPv4 and IPv6 VIPs both fit; the two addresses of a key are of one
 * family.
 *
 * <p>Keys stored in a table are immutable in practice. A packet thread keeps one key of its own
 * as a <em>probe</em>: it re-fills it from each packet's header ({@link #setFromPacket}) and looks
 * it up, so a lookup allocates nothing. A probe is never stored.
 */
public final class FlowKey {
    private static final int NO_SPI = 0;

    private boolean ipv6;
    private long src0;
    private long src1;
    private long dst0;
    private long dst1;
    private int spi;
    private int hash;

    /** An empty probe, to be filled from packets. */
    public FlowKey() {
    }

    /** The (source, destination) VIP pair. */
    public static FlowKey of(InetAddress source, InetAddress destination) {
        return ofSpi(NO_SPI, source, destination);
    }

    /** The (SPI, source, destination) triple of the ingress ACL. */
    public static FlowKey ofSpi(int spi, InetAddress source, InetAddress destination) {
        boolean v4 = source instanceof Inet4Address;
        if (v4 != destination instanceof Inet4Address) {
            throw new IllegalArgumentException("VIPs " + IpText.of(source) + " and " + IpText.of(destination)
                    + " are of different IP families");
        }
        FlowKey k = new FlowKey();
        byte[] s = source.getAddress();
        byte[] d = destination.getAddress();
        k.set(s, 0, d, 0, !v4, spi);
        return k;
    }

    /**
     * Fills this probe from the IP header at {@code l3} of {@code b}: IPv4 addresses at 12/16,
     * IPv6 at 8/24. The caller has checked the header is there.
     */
    public FlowKey setFromPacket(byte[] b, int l3, boolean isIpv6, int withSpi) {
        return isIpv6 ? set(b, l3 + 8, b, l3 + 24, true, withSpi) : set(b, l3 + 12, b, l3 + 16, false, withSpi);
    }

    private FlowKey set(byte[] s, int sOff, byte[] d, int dOff, boolean v6, int withSpi) {
        ipv6 = v6;
        if (v6) {
            src0 = getLong(s, sOff);
            src1 = getLong(s, sOff + 8);
            dst0 = getLong(d, dOff);
            dst1 = getLong(d, dOff + 8);
        } else {
            src0 = getInt(s, sOff) & 0xFFFFFFFFL;
            src1 = 0;
            dst0 = getInt(d, dOff) & 0xFFFFFFFFL;
            dst1 = 0;
        }
        spi = withSpi;
        long h = src0 * 0x9E3779B97F4A7C15L ^ src1 * 0xC2B2AE3D27D4EB4FL ^ dst0 * 0x165667B19E3779F9L
                ^ dst1 * 0x27D4EB2F165667C5L ^ (spi * 0x9E3779B1L) ^ (v6 ? 1 : 0);
        hash = (int) (h ^ (h >>> 32));
        return this;
    }

    private static long getLong(byte[] b, int off) {
        return ((long) getInt(b, off) << 32) | (getInt(b, off + 4) & 0xFFFFFFFFL);
    }

    private static int getInt(byte[] b, int off) {
        return ((b[off] & 0xFF) << 24) | ((b[off + 1] & 0xFF) << 16) | ((b[off + 2] & 0xFF) << 8) | (b[off + 3] & 0xFF);
    }

    /** An immutable copy of this key, fit to be stored or handed to the control plane. */
    public FlowKey copy() {
        FlowKey k = new FlowKey();
        k.ipv6 = ipv6;
        k.src0 = src0;
        k.src1 = src1;
        k.dst0 = dst0;
        k.dst1 = dst1;
        k.spi = spi;
        k.hash = hash;
        return k;
    }

    public boolean ipv6() {
        return ipv6;
    }

    public int spi() {
        return spi;
    }

    public InetAddress source() {
        return address(true);
    }

    public InetAddress destination() {
        return address(false);
    }

    private InetAddress address(boolean source) {
        try {
            return InetAddress.getByAddress(bytes(source));
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private byte[] bytes(boolean source) {
        long a = source ? src0 : dst0;
        long b = source ? src1 : dst1;
        byte[] out = new byte[ipv6 ? 16 : 4];
        if (ipv6) {
            for (int i = 0; i < 8; i++) {
                out[i] = (byte) (a >>> (56 - 8 * i));
                out[8 + i] = (byte) (b >>> (56 - 8 * i));
            }
        } else {
            for (int i = 0; i < 4; i++) {
                out[i] = (byte) (a >>> (24 - 8 * i));
            }
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FlowKey k && k.hash == hash && k.src0 == src0 && k.dst0 == dst0 && k.src1 == src1
                && k.dst1 == dst1 && k.spi == spi && k.ipv6 == ipv6;
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        String pair = IpText.of(source()) + " -> " + IpText.of(destination());
        return spi == NO_SPI ? pair : String.format("spi %08x, %s", spi, pair);
    }
}
