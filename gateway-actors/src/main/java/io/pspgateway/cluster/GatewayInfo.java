package io.pspgateway.cluster;

import java.util.List;

/**
 * What a gateway tells the cluster about itself: enough for others to find it and ask it for
 * tunnels, nothing secret.
 *
 * @param id          the gateway's name
 * @param grpcHost    where its TunnelService listens
 * @param grpcPort    and on which port
 * @param physical    its physical (outer) address
 * @param vipPrefixes the VIP prefixes it serves, "10.2.0.0/24" or "fd00::2/128"
 * @param versions    PSP versions it accepts
 */
public record GatewayInfo(String id, String grpcHost, int grpcPort, String physical, List<String> vipPrefixes,
                          List<Integer> versions) implements ClusterSerializable {

    public GatewayInfo {
        vipPrefixes = List.copyOf(vipPrefixes);
        versions = List.copyOf(versions);
    }
}
