package io.pspgateway.control;

import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.pspgateway.psp.IpText;
import io.pspgateway.tls.GrpcTls;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.grpc.GrpcClientSettings;

/**
 * How this gateway dials its peers' gRPC servers.
 *
 * @param tls    the material to authenticate with (mutual TLS), or empty for plaintext
 * @param source the address calls leave from, or empty for the kernel's choice. A gateway whose gRPC
 *               server listens on one address calls from it too: a peer that authorises callers by
 *               the address they call from (plaintext mode) then sees the one its tunnel file names.
 * @param serverId the gateway id the server's certificate must name (a cluster member's), or empty
 *                 when only its address is known (a peer of the tunnel file)
 */
public record PeerDialing(Optional<GrpcTls> tls, Optional<InetAddress> source, Optional<String> serverId) {
    public static final PeerDialing PLAINTEXT_ANY_SOURCE = new PeerDialing(Optional.empty(), Optional.empty());

    /** Dialling a server known by its address only. */
    public PeerDialing(Optional<GrpcTls> tls, Optional<InetAddress> source) {
        this(tls, source, Optional.empty());
    }

    /** The same, towards the gateway of id {@code id}. */
    PeerDialing towards(Optional<String> id) {
        return new PeerDialing(tls, source, id);
    }

    /**
     * The gRPC client settings to call {@code address} with: each call bounded by the settings'
     * request timeout, answers by their message size; over TLS, our certificate presented and the
     * server's checked against the address dialled (its IP SAN); from {@link #source} when there is one.
     */
    public GrpcClientSettings clientSettings(InetSocketAddress address, ControlSettings settings, ActorSystem<?> system) {
        GrpcClientSettings grpc = GrpcClientSettings
                .connectToServiceAt(IpText.of(address.getAddress()), address.getPort(), system)
                // pekko-grpc makes the HTTP/2 :authority of the bare service name, which for an IPv6
                // literal has no brackets and no port: servers refuse it (RFC 9113 8.3.1, RFC 3986 3.2.2)
                .withOverrideAuthority(IpText.of(address))
                .withTls(tls.isPresent())
                .withDeadline(settings.requestTimeout())
                // advertise no compression: answers are mostly keys, which do not compress, and the
                // peer's gzip of a few thousand tunnels per answer cost it ~5 % of a set-up's CPU
                .withChannelBuilderOverrides(builder -> fromSource(builder.maxInboundMessageSize(settings.maxMessageBytes())
                        .decompressorRegistry(io.grpc.DecompressorRegistry.emptyInstance().with(io.grpc.Codec.Identity.NONE, false))));
        return tls.map(material -> grpc.withSslContext(material.clientContext(serverId))).orElse(grpc);
    }

    /** Calls leave from {@code source} when there is one (port chosen by the kernel). */
    private NettyChannelBuilder fromSource(NettyChannelBuilder builder) {
        return source.map(s -> builder.localSocketPicker(new NettyChannelBuilder.LocalSocketPicker() {
            @Override
            public SocketAddress createSocketAddress(SocketAddress remote, io.grpc.Attributes attributes) {
                return new InetSocketAddress(s, 0);
            }
        })).orElse(builder);
    }

    /** From the gateway's settings: its TLS material, and its gRPC address unless that is a wildcard. */
    static PeerDialing of(GatewaySettings settings) {
        InetAddress bind = settings.grpcBind().getAddress();
        return new PeerDialing(settings.tls(), bind.isAnyLocalAddress() ? Optional.empty() : Optional.of(bind));
    }
}
