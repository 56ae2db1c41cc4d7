package io.pspgateway.control;

import io.pspgateway.tls.GrpcTls;
import java.net.InetAddress;
import java.util.Optional;

/**
 * How this gateway dials its peers' gRPC servers.
 *
 * @param tls    the material to authenticate with (mutual TLS), or empty for plaintext
 * @param source the address calls leave from, or empty for the kernel's choice. A gateway whose gRPC
 *               server listens on one address calls from it too: a peer that authorises callers by
 *               the address they call from (plaintext mode) then sees the one its tunnel file names.
 */
public record PeerDialing(Optional<GrpcTls> tls, Optional<InetAddress> source) {
    public static final PeerDialing PLAINTEXT_ANY_SOURCE = new PeerDialing(Optional.empty(), Optional.empty());

    /** From the gateway's settings: its TLS material, and its gRPC address unless that is a wildcard. */
    static PeerDialing of(GatewaySettings settings) {
        InetAddress bind = settings.grpcBind().getAddress();
        return new PeerDialing(settings.tls(), bind.isAnyLocalAddress() ? Optional.empty() : Optional.of(bind));
    }
}
