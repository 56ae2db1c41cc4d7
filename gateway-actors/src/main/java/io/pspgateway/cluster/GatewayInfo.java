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
 * @param proof       who signed it ({@link AnnouncementTrust}); null when unsigned. Changing any of
 *                    the above drops it: the announcing member signs what it publishes
 */
public record GatewayInfo(String id, String grpcHost, int grpcPort, String physical, VipPrefixes vipPrefixes,
                          List<Integer> versions, long incarnation, long keyGeneration, Proof proof) {

    /**
     * The announcement as the member serialized it (fields 1-8 of {@code GatewayAnnouncement}), its
     * signature with the member's TLS key, and that key's certificate (DER).
     */
    public record Proof(com.google.protobuf.ByteString signed, com.google.protobuf.ByteString certificate,
                        com.google.protobuf.ByteString signature) {
    }

    public GatewayInfo {
        versions = List.copyOf(versions);
    }

    /** An unsigned announcement. */
    public GatewayInfo(String id, String grpcHost, int grpcPort, String physical, VipPrefixes vipPrefixes, List<Integer> versions,
                       long incarnation, long keyGeneration) {
        this(id, grpcHost, grpcPort, physical, vipPrefixes, versions, incarnation, keyGeneration, null);
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

    /** The same announcement with {@code proof} of who made it. */
    GatewayInfo withProof(Proof proof) {
        return new GatewayInfo(id, grpcHost, grpcPort, physical, vipPrefixes, versions, incarnation, keyGeneration, proof);
    }

    /** Bit 31 of the SPIs it mints now. */
    public int activeKeyIndex() {
        return (int) (keyGeneration & 1);
    }
}
