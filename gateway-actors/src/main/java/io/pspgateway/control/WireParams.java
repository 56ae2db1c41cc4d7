package io.pspgateway.control;

import com.google.protobuf.ByteString;
import io.pspgateway.config.HostPort;
import io.pspgateway.dataplane.EncryptEntry;
import io.pspgateway.dataplane.SpiKey;
import io.pspgateway.proto.doca.TunnelParameters;
import io.pspgateway.psp.IpText;
import io.pspgateway.psp.PspVersion;
import java.net.InetAddress;

/** Conversions between the wire's {@link TunnelParameters} and the data plane's types, with validation. */
final class WireParams {
    private WireParams() {
    }

    /** Parameters that are not fit to install; the message says which field. */
    static final class BadParams extends Exception {
        BadParams(String message) {
            super(message);
        }
    }

    /**
     * What we tell a peer so that it can send to us under {@code minted}. The key's copy in the
     * message cannot be zeroed (protobuf's ByteString is immutable): it lives until the message is
     * collected, which is soon (it is sent and dropped).
     */
    static TunnelParameters of(SpiKey minted, GatewaySettings settings) {
        byte[] key = minted.key();
        try {
            return parameters(minted, key, settings);
        } finally {
            java.util.Arrays.fill(key, (byte) 0);
        }
    }

    private static TunnelParameters parameters(SpiKey minted, byte[] key, GatewaySettings settings) {
        return TunnelParameters.newBuilder()
                .setMacAddr(settings.uplinkMac())
                .setIpAddr(IpText.of(settings.uplink()))
                .setPspVersion(minted.version().wire())
                .setSpi(minted.spi())
                .setEncryptionKey(ByteString.copyFrom(key))
                .setVirtCookie(settings.cookie().orElse(0))
                .setEncapType(settings.uplink().getAddress().length == 16 ? 6 : 4)
                .build();
    }

    /** The encrypt entry for sending from {@code localVip} to {@code remoteVip} with a peer's parameters. */
    static EncryptEntry entry(TunnelParameters p, InetAddress localVip, InetAddress remoteVip, int cryptoId,
                              GatewaySettings settings) throws BadParams {
        PspVersion version = PspVersion.fromWire(p.getPspVersion());
        if (version == null || (version != PspVersion.V0 && version != PspVersion.V1)) {
            throw new BadParams("psp_version " + Integer.toUnsignedString(p.getPspVersion()) + " is not 0 or 1");
        }
        if (p.getEncryptionKey().size() != version.keyBytes()) {
            throw new BadParams("encryption_key has " + p.getEncryptionKey().size() + " bytes, PSP " + version + " needs "
                    + version.keyBytes());
        }
        if (p.getSpi() == 0) {
            throw new BadParams("spi 0 is not a valid SPI");
        }
        if (p.getEncapType() != 4 && p.getEncapType() != 6) {
            throw new BadParams("encap_type " + Integer.toUnsignedString(p.getEncapType()) + " is not 4 or 6");
        }
        InetAddress peerOuter;
        try {
            peerOuter = HostPort.ip(p.getIpAddr());
        } catch (IllegalArgumentException e) {
            throw new BadParams("ip_addr: " + e.getMessage());
        }
        if ((peerOuter.getAddress().length == 16 ? 6 : 4) != p.getEncapType()) {
            throw new BadParams("ip_addr " + p.getIpAddr() + " is not an IPv" + p.getEncapType() + " address (encap_type)");
        }
        if (peerOuter.getAddress().length != settings.uplink().getAddress().length) {
            throw new BadParams("ip_addr " + p.getIpAddr() + " is not of our uplink's IP family");
        }
        return new EncryptEntry(localVip, remoteVip, cryptoId, p.getSpi(), version, settings.mode(),
                settings.cryptOffsetWords(), settings.cookie().isPresent() ? p.getVirtCookie() : null, settings.uplink(),
                peerOuter, null);
    }
}
