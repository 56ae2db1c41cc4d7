package io.pspgateway.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.List;

/**
 * How a gateway takes part in the cluster: its name there and the VIP prefixes it announces.
 *
 * @param gatewayId   unique name of this gateway in the cluster
 * @param vipPrefixes the VIP prefixes it serves, "10.2.0.0/24"
 */
public record ClusterMembership(String gatewayId, List<String> vipPrefixes) {
    /** The ActorSystem name every member of a gateway cluster shares. */
    public static final String SYSTEM_NAME = "pspgw";

    public ClusterMembership {
        vipPrefixes = List.copyOf(vipPrefixes);
    }

    /** {@code overrides}, then the cluster settings (pspgw-cluster.conf), then every reference.conf. */
    public static Config config(Config overrides) {
        return overrides.withFallback(ConfigFactory.parseResources("pspgw-cluster.conf"))
                .withFallback(ConfigFactory.load()).resolve();
    }
}
