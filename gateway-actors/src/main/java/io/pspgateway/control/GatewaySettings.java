package io.pspgateway.control;

import io.pspgateway.cluster.ClusterMembership;
import io.pspgateway.config.TunnelConfig;
import io.pspgateway.psp.PspMode;
import io.pspgateway.psp.PspVersion;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Set;

/**
 * Everything one gateway runs with, in one immutable object: the DOCA-compatible settings
 * (flags and tunnel file) and the project's own knobs.
 *
 * @param grpcBind         where TunnelService listens
 * @param uplink           our physical address: the outer destination peers send to
 * @param uplinkMac        our uplink MAC as told to peers ("" on L3 ports)
 * @param localVips        VIPs served here; a tunnel request for another destination is refused
 * @param pspVersion       the version we ask peers for (--psp-version)
 * @param cryptOffsetWords crypt offset for what we send (--crypt-offset, or the original's default)
 * @param cookie           the virtualization cookie peers must send to us, or null (--cookie)
 * @param mode             tunnel or transport (--mode)
 * @param staticTunnels    connect every configured pair at start-up (-z)
 * @param tunnels          the tunnel file (-c)
 * @param control          the control plane's own knobs (HOCON)
 * @param cluster          how this gateway joins a cluster of gateways, or null when it runs alone
 */
public record GatewaySettings(InetSocketAddress grpcBind, InetAddress uplink, String uplinkMac, Set<InetAddress> localVips,
                              PspVersion pspVersion, int cryptOffsetWords, Long cookie, PspMode mode, boolean staticTunnels,
                              TunnelConfig tunnels, ControlSettings control, ClusterMembership cluster) {

    public GatewaySettings {
        localVips = Set.copyOf(localVips);
        if (pspVersion != PspVersion.V0 && pspVersion != PspVersion.V1) {
            throw new IllegalArgumentException("--psp-version must be 0 or 1 (what the DOCA gateway exchanges), got "
                    + pspVersion.wire());
        }
    }

    /** The original's default crypt offset: the inner IP header stays readable (+2 words with a cookie). */
    public static int defaultCryptOffset(boolean innerIpv6, boolean withCookie) {
        return (innerIpv6 ? 10 : 5) + (withCookie ? 2 : 0);
    }
}
