package io.pspgateway.control;

import io.pspgateway.cluster.VipPrefixes;
import java.net.InetAddress;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Longest-prefix match from IP prefixes to values, IPv4 and IPv6 apart. Lookups try the prefix
 * lengths present, longest first; a few dozen lengths at most, each one hash lookup on the masked
 * address held as two longs (no per-entry big integers: a cluster view holds 10 000s of prefixes).
 *
 * @param <V> what a prefix maps to
 */
final class PrefixTable<V> {
    /** An address with its host bits cleared: IPv4 in {@code low}, IPv6 split in two halves. */
    private record Masked(long high, long low) {
    }

    private final TreeMap<Integer, Map<Masked, V>> v4 = new TreeMap<>(Comparator.reverseOrder());
    private final TreeMap<Integer, Map<Masked, V>> v6 = new TreeMap<>(Comparator.reverseOrder());

    /** Maps {@code network/length} (4 or 16 address bytes) to {@code value}; returns the value it replaced, or null. */
    V put(byte[] network, int length, V value) {
        return (network.length == 4 ? v4 : v6).computeIfAbsent(length, l -> new HashMap<>())
                .put(masked(network, length), value);
    }

    V put(InetAddress network, int length, V value) {
        return put(network.getAddress(), length, value);
    }

    /** Maps every prefix of {@code prefixes} to {@code value}. */
    void putAll(VipPrefixes prefixes, V value) {
        prefixes.forEach((network, length) -> put(network, length, value));
    }

    /** Removes exactly {@code network/length}; returns its value, or null. */
    V remove(byte[] network, int length) {
        Map<Masked, V> ofLength = (network.length == 4 ? v4 : v6).get(length);
        return ofLength == null ? null : ofLength.remove(masked(network, length));
    }

    boolean isEmpty() {
        return v4.isEmpty() && v6.isEmpty();
    }

    /** The value of the longest prefix containing {@code address}, or null. */
    V lookup(InetAddress address) {
        byte[] bytes = address.getAddress();
        for (Map.Entry<Integer, Map<Masked, V>> e : (bytes.length == 4 ? v4 : v6).entrySet()) {
            V v = e.getValue().get(masked(bytes, e.getKey()));
            if (v != null) {
                return v;
            }
        }
        return null;
    }

    private static Masked masked(byte[] address, int length) {
        if (address.length == 4) {
            return new Masked(0, bits(address, 0, 4) & mask(length, 32));
        }
        return new Masked(bits(address, 0, 8) & mask(length, 64), bits(address, 8, 8) & mask(length - 64, 64));
    }

    private static long bits(byte[] address, int from, int count) {
        long v = 0;
        for (int i = from; i < from + count; i++) {
            v = (v << 8) | (address[i] & 0xFF);
        }
        return v;
    }

    /** The mask keeping the top {@code length} of {@code width} bits (all for more, none for less than 0). */
    private static long mask(int length, int width) {
        if (length <= 0) {
            return 0;
        }
        long all = width == 64 ? -1L : (1L << width) - 1;
        return length >= width ? all : all & ~(all >>> length);
    }
}
