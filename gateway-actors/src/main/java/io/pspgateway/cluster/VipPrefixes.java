package io.pspgateway.cluster;

import io.pspgateway.config.HostPort;
import io.pspgateway.psp.IpText;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An immutable list of VIP prefixes in the packed form they are gossiped in: per prefix one byte
 * of length, one byte of address size (4 or 16), then the network address with its host bits
 * cleared. Six bytes per IPv4 prefix, so that a gateway announcing 10 000 prefixes costs ~60 KB in
 * the registry rather than a list of strings and address objects several times that.
 */
public final class VipPrefixes {
    /** Receives one prefix: its network address bytes (do not keep the array) and its length. */
    @FunctionalInterface
    public interface Visitor {
        void prefix(byte[] network, int length);
    }

    private static final VipPrefixes NONE = new VipPrefixes(new byte[0], 0);

    private final byte[] packed;
    private final int count;

    private VipPrefixes(byte[] packed, int count) {
        this.packed = packed;
        this.count = count;
    }

    public static VipPrefixes none() {
        return NONE;
    }

    /**
     * Parses prefixes written "10.2.0.0/24" or "fd00::/64" (a bare address is a host route).
     *
     * @throws IllegalArgumentException naming the first prefix that is not one
     */
    public static VipPrefixes parse(List<String> prefixes) {
        byte[] out = new byte[prefixes.size() * 18];
        int at = 0;
        for (String prefix : prefixes) {
            int slash = prefix.indexOf('/');
            byte[] network = HostPort.ip(slash < 0 ? prefix.strip() : prefix.substring(0, slash).strip()).getAddress();
            int bits = network.length * 8;
            int length;
            try {
                length = slash < 0 ? bits : Integer.parseInt(prefix.substring(slash + 1).strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + prefix + "': the prefix length is not a number");
            }
            if (length < 0 || length > bits) {
                throw new IllegalArgumentException("'" + prefix + "': prefix length must be 0-" + bits);
            }
            at = put(out, at, network, length);
        }
        return new VipPrefixes(Arrays.copyOf(out, at), prefixes.size());
    }

    /**
     * Reads the packed form (as gossiped).
     *
     * @throws IllegalArgumentException if it is truncated or names a bad size or length
     */
    public static VipPrefixes unpack(byte[] packed) {
        int count = 0;
        for (int at = 0; at < packed.length; count++) {
            if (at + 2 > packed.length) {
                throw new IllegalArgumentException("packed VIP prefixes truncated at byte " + at);
            }
            int length = packed[at] & 0xFF;
            int size = packed[at + 1];
            if ((size != 4 && size != 16) || length > size * 8 || at + 2 + size > packed.length) {
                throw new IllegalArgumentException("bad packed VIP prefix at byte " + at);
            }
            at += 2 + size;
        }
        return count == 0 ? NONE : new VipPrefixes(packed.clone(), count);
    }

    private static int put(byte[] out, int at, byte[] network, int length) {
        out[at] = (byte) length;
        out[at + 1] = (byte) network.length;
        for (int i = 0; i < network.length; i++) {
            int keep = Math.clamp(length - i * 8, 0, 8);
            out[at + 2 + i] = (byte) (network[i] & (0xFF00 >>> keep));
        }
        return at + 2 + network.length;
    }

    /** The packed form: a copy. */
    public byte[] pack() {
        return packed.clone();
    }

    public int size() {
        return count;
    }

    /** Bytes in the packed form. */
    public int packedSize() {
        return packed.length;
    }

    /** Calls {@code visitor} for every prefix, in order. */
    public void forEach(Visitor visitor) {
        byte[] v4 = new byte[4];
        byte[] v6 = new byte[16];
        for (int at = 0; at < packed.length; ) {
            int length = packed[at] & 0xFF;
            byte[] network = packed[at + 1] == 4 ? v4 : v6;
            System.arraycopy(packed, at + 2, network, 0, network.length);
            visitor.prefix(network, length);
            at += 2 + network.length;
        }
    }

    /** The first of these prefixes that none of {@code allowed} covers, written out; empty when every one is covered. */
    public java.util.Optional<String> firstOutside(VipPrefixes allowed) {
        List<byte[]> networks = new ArrayList<>();
        List<Integer> lengths = new ArrayList<>();
        allowed.forEach((network, length) -> {
            networks.add(network.clone());
            lengths.add(length);
        });
        String[] outside = {null};
        forEach((network, length) -> {
            if (outside[0] != null) {
                return;
            }
            for (int i = 0; i < networks.size(); i++) {
                if (covers(networks.get(i), lengths.get(i), network, length)) {
                    return;
                }
            }
            outside[0] = IpText.of(HostPort.ip(network)) + "/" + length;
        });
        return java.util.Optional.ofNullable(outside[0]);
    }

    /** Whether prefix {@code network}/{@code length} lies within {@code outer}/{@code outerLength} (same family). */
    private static boolean covers(byte[] outer, int outerLength, byte[] network, int length) {
        if (outer.length != network.length || length < outerLength) {
            return false;
        }
        int whole = outerLength / 8;
        for (int i = 0; i < whole; i++) {
            if (outer[i] != network[i]) {
                return false;
            }
        }
        int rest = outerLength % 8;
        if (rest == 0) {
            return true;
        }
        int mask = 0xFF << (8 - rest) & 0xFF;
        return (outer[whole] & mask) == (network[whole] & mask);
    }

    /** The prefixes written out, "10.2.0.0/24" (for logs and tests). */
    public List<String> asStrings() {
        List<String> out = new ArrayList<>(count);
        forEach((network, length) -> out.add(IpText.of(HostPort.ip(network)) + "/" + length));
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VipPrefixes other && Arrays.equals(packed, other.packed);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(packed);
    }

    @Override
    public String toString() {
        return count <= 8 ? asStrings().toString() : count + " prefixes";
    }
}
