package io.pspgateway.control;

import java.net.InetAddress;
import io.pspgateway.cluster.VipPrefixes;
import java.util.Set;

/**
 * The VIPs this gateway serves: the configured local VIPs plus, when clustered, the prefixes it
 * announces, which change when workloads move. TunnelService refuses tunnels to anything else.
 * Read by gRPC threads, replaced whole by the node: no lock.
 */
final class ServedVips {
    private final Set<InetAddress> fixed;
    private volatile PrefixTable<Boolean> announced = new PrefixTable<>();
    private volatile boolean anyAnnounced;

    ServedVips(Set<InetAddress> fixed, VipPrefixes announcedPrefixes) {
        this.fixed = Set.copyOf(fixed);
        announce(announcedPrefixes);
    }

    /** Replaces the announced prefixes. */
    void announce(VipPrefixes prefixes) {
        PrefixTable<Boolean> table = new PrefixTable<>();
        table.putAll(prefixes, true);
        announced = table;
        anyAnnounced = prefixes.size() > 0;
    }

    /** True when {@code vip} is served here; with nothing configured at all, any VIP is (as the original). */
    boolean serves(InetAddress vip) {
        if (fixed.isEmpty() && !anyAnnounced) {
            return true;
        }
        return fixed.contains(vip) || announced.lookup(vip) != null;
    }
}
