package io.pspgateway.control;

import io.pspgateway.cluster.ClusterMembership;
import io.pspgateway.config.TunnelConfig;
import io.pspgateway.psp.PspMode;
import io.pspgateway.psp.PspVersion;
import io.pspgateway.tls.GrpcTls;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.OptionalLong;
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
 * @param cookie           the virtualization cookie peers must send to us, if any (--cookie)
 * @param mode             tunnel or transport (--mode)
 * @param staticTunnels    connect every configured pair at start-up (-z)
 * @param tunnels          the tunnel file (-c)
 * @param control          the control plane's own knobs (HOCON)
 * @param cluster          how this gateway joins a cluster of gateways; empty when it runs alone
 * @param tls              the gRPC channels' TLS material (--tls-ca, --tls-cert, --tls-key), or empty for plaintext
 * @param debugKeys        print key material at debug level (-k/--debug-keys); never otherwise
 */
public record GatewaySettings(InetSocketAddress grpcBind, InetAddress uplink, String uplinkMac, Set<InetAddress> localVips,
                              PspVersion pspVersion, int cryptOffsetWords, OptionalLong cookie, PspMode mode, boolean staticTunnels,
                              TunnelConfig tunnels, ControlSettings control, Optional<ClusterMembership> cluster,
                              Optional<GrpcTls> tls, boolean debugKeys) {

    public GatewaySettings {
        localVips = Set.copyOf(localVips);
        if (pspVersion != PspVersion.V0 && pspVersion != PspVersion.V1) {
            throw new IllegalArgumentException("--psp-version must be 0 or 1 (what the DOCA gateway exchanges), got "
                    + pspVersion.wire());
        }
        if (cluster.isPresent() && tls.isPresent()) {
            cluster.get().refusalUnder(tls.get().certificate()).ifPresent(refusal -> {
                throw new IllegalArgumentException(refusal + "; issue the certificate with pspgw certs issue --name ID --vip-prefix PREFIX");
            });
        }
    }

    /**
     * The default crypt offset in words. Tunnel mode: the original's, which leaves the inner IP
     * header readable (5 words for IPv4, 10 for IPv6). Transport mode has no inner IP header behind
     * the PSP header, only the L4 header: the original's offset would reach past the end of short
     * segments (a TCP ACK with timestamps has 32 bytes of L4; IPv6's 40 do not fit), which PSP
     * forbids and this gateway drops, so encryption starts at the L4 header. A cookie adds 2 words
     * either way: the virtualization cookie stays in the clear.
     */
    public static int defaultCryptOffset(PspMode mode, boolean innerIpv6, boolean withCookie) {
        int afterCookie = mode == PspMode.TRANSPORT ? 0 : innerIpv6 ? 10 : 5;
        return afterCookie + (withCookie ? 2 : 0);
    }
}
