package io.pspgateway.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

/**
 * How a gateway takes part in the cluster: its name there and the VIP prefixes it announces.
 *
 * @param gatewayId   unique name of this gateway in the cluster
 * @param vipPrefixes the VIP prefixes it serves
 */
public record ClusterMembership(String gatewayId, VipPrefixes vipPrefixes) {
    /** The ActorSystem name every member of a gateway cluster shares. */
    public static final String SYSTEM_NAME = "pspgw";

    /** {@code overrides}, then the cluster settings (pspgw-cluster.conf), then every reference.conf. */
    public static Config config(Config overrides) {
        return overrides.withFallback(ConfigFactory.parseResources("pspgw-cluster.conf"))
                .withFallback(ConfigFactory.load()).resolve();
    }
}
