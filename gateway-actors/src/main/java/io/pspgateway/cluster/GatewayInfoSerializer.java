package io.pspgateway.cluster;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.pspgateway.proto.cluster.GatewayAnnouncement;
import java.io.NotSerializableException;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Writes {@link GatewayInfo} as the protobuf {@code GatewayAnnouncement} (pspgw_cluster.proto),
 * its prefixes in their packed form. Bound in pspgw-cluster.conf. A member that sends something
 * unreadable gets a {@link NotSerializableException}, which Pekko logs and drops.
 */
public final class GatewayInfoSerializer extends SerializerWithStringManifest {
    private static final String MANIFEST = "GatewayAnnouncement";

    public GatewayInfoSerializer(ExtendedActorSystem system) {
    }

    @Override
    public int identifier() {
        return 0x70737067; // "pspg"
    }

    @Override
    public String manifest(Object o) {
        return MANIFEST;
    }

    @Override
    public byte[] toBinary(Object o) {
        if (!(o instanceof GatewayInfo info)) {
            throw new IllegalArgumentException("cannot serialize " + o.getClass().getName());
        }
        GatewayAnnouncement.Builder out = content(info).toBuilder();
        if (info.proof() != null) {
            out.setSigned(info.proof().signed()).setCertificate(info.proof().certificate()).setSignature(info.proof().signature());
        }
        return out.build().toByteArray();
    }

    /** Fields 1-8: what is signed. */
    static GatewayAnnouncement content(GatewayInfo info) {
        return GatewayAnnouncement.newBuilder()
                .setId(info.id())
                .setGrpcHost(info.grpcHost())
                .setGrpcPort(info.grpcPort())
                .setPhysicalIp(info.physical())
                .setVipPrefixes(ByteString.copyFrom(info.vipPrefixes().pack()))
                .addAllPspVersions(info.versions())
                .setIncarnation(info.incarnation())
                .setKeyGeneration(info.keyGeneration())
                .build();
    }

    /** The announcement fields 1-8 of {@code a} make, unsigned. */
    static GatewayInfo info(GatewayAnnouncement a) {
        return new GatewayInfo(a.getId(), a.getGrpcHost(), a.getGrpcPort(), a.getPhysicalIp(),
                VipPrefixes.unpack(a.getVipPrefixes().toByteArray()), a.getPspVersionsList(), a.getIncarnation(), a.getKeyGeneration());
    }

    @Override
    public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
        if (!MANIFEST.equals(manifest)) {
            throw new NotSerializableException("unknown manifest '" + manifest + "'");
        }
        try {
            GatewayAnnouncement a = GatewayAnnouncement.parseFrom(bytes);
            if (a.getSigned().isEmpty()) {
                return info(a);
            }
            // a signed announcement is read from what was signed, never from the copy beside it
            return info(GatewayAnnouncement.parseFrom(a.getSigned()))
                    .withProof(new GatewayInfo.Proof(a.getSigned(), a.getCertificate(), a.getSignature()));
        } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
            throw new NotSerializableException("unreadable gateway announcement: " + e.getMessage());
        }
    }
}
