package io.pspgateway.control;

import java.math.BigInteger;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Longest-prefix match from IP prefixes to values, IPv4 and IPv6 apart. Lookups try the prefix
 * lengths present, longest first; a few dozen lengths at most, each one hash lookup.
 *
 * @param <V> what a prefix maps to
 */
final class PrefixTable<V> {
    private final Map<Integer, TreeMap<Integer, Map<BigInteger, V>>> byFamily = new HashMap<>();

    /** Maps {@code network/length} to {@code value}; returns the value it replaced, or null. */
    V put(InetAddress network, int length, V value) {
        int bits = network.getAddress().length * 8;
        return byFamily.computeIfAbsent(bits, b -> new TreeMap<>(java.util.Comparator.reverseOrder()))
                .computeIfAbsent(length, l -> new HashMap<>())
                .put(masked(network, length), value);
    }

    /** Maps a prefix written "10.2.0.0/24" (or a bare address: a host route) to {@code value}. */
    V put(String prefix, V value) {
        int slash = prefix.indexOf('/');
        InetAddress network = io.pspgateway.config.HostPort.ip(slash < 0 ? prefix : prefix.substring(0, slash));
        int bits = network.getAddress().length * 8;
        int length = slash < 0 ? bits : Integer.parseInt(prefix.substring(slash + 1).strip());
        if (length < 0 || length > bits) {
            throw new IllegalArgumentException("'" + prefix + "': prefix length must be 0-" + bits);
        }
        return put(network, length, value);
    }

    /** The value of the longest prefix containing {@code address}, or null. */
    V lookup(InetAddress address) {
        TreeMap<Integer, Map<BigInteger, V>> lengths = byFamily.get(address.getAddress().length * 8);
        if (lengths == null) {
            return null;
        }
        for (Map.Entry<Integer, Map<BigInteger, V>> e : lengths.entrySet()) {
            V v = e.getValue().get(masked(address, e.getKey()));
            if (v != null) {
                return v;
            }
        }
        return null;
    }

    private static BigInteger masked(InetAddress address, int length) {
        int bits = address.getAddress().length * 8;
        return new BigInteger(1, address.getAddress()).shiftRight(bits - length).shiftLeft(bits - length);
    }
}
