package io.pspgateway.cluster;

import java.util.List;

/**
 * What a gateway tells the cluster about itself: enough for others to find it and ask it for
 * tunnels, nothing secret. Crosses the cluster as a protobuf {@code GatewayAnnouncement}
 * ({@link GatewayInfoSerializer}).
 *
 * @param id          the gateway's name
 * @param grpcHost    where its TunnelService listens
 * @param grpcPort    and on which port
 * @param physical    its physical (outer) address
 * @param vipPrefixes the VIP prefixes it serves
 * @param versions    PSP versions it accepts
 * @param incarnation its cluster member's uid: a gateway restarted on the same address is another
 *                    incarnation, and nothing of the old one (sessions, SPIs) may outlive it
 * @param keyGeneration how many times it has rotated its master keys; SPIs minted under its active
 *                    key have bit 31 = {@link #activeKeyIndex()}, and senders holding SPIs of the other
 *                    key re-key before its next rotation retires it
 */
public record GatewayInfo(String id, String grpcHost, int grpcPort, String physical, VipPrefixes vipPrefixes,
                          List<Integer> versions, long incarnation, long keyGeneration) {

    public GatewayInfo {
        versions = List.copyOf(versions);
    }

    /** The same gateway announcing {@code prefixes} instead. */
    public GatewayInfo withPrefixes(VipPrefixes prefixes) {
        return new GatewayInfo(id, grpcHost, grpcPort, physical, prefixes, versions, incarnation, keyGeneration);
    }

    /** The same gateway as cluster member incarnation {@code uid}. */
    public GatewayInfo withIncarnation(long uid) {
        return new GatewayInfo(id, grpcHost, grpcPort, physical, vipPrefixes, versions, uid, keyGeneration);
    }

    /** The same gateway after its master keys reached generation {@code generation}. */
    public GatewayInfo withKeyGeneration(long generation) {
        return new GatewayInfo(id, grpcHost, grpcPort, physical, vipPrefixes, versions, incarnation, generation);
    }

    /** Bit 31 of the SPIs it mints now. */
    public int activeKeyIndex() {
        return (int) (keyGeneration & 1);
    }
}
