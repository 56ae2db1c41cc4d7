package io.pspgateway.control;

import io.pspgateway.cluster.GatewayInfo;
import io.pspgateway.config.HostPort;
import io.pspgateway.config.TunnelConfig;
import io.pspgateway.psp.IpText;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Who may ask this gateway for tunnel parameters, and from which source VIPs: an immutable
 * snapshot of the peers it knows, which {@link PeerDirectory} publishes anew whenever they change.
 *
 * <p>A caller is identified by what its connection proves, never by anything it sends: with
 * mutual TLS, its certificate (the tunnel file's peer whose {@code remote-grpc-address} IP is one
 * of the certificate's IP SANs, else the cluster member whose gateway id is one of its DNS SANs);
 * in plaintext interop mode, the source address of its connection (the peer configured at that
 * IP, else the member announcing its gRPC service there). A peer of the tunnel file may claim the
 * VIPs of its {@code remote-vips}; a member, the prefixes it announces.
 */
public final class Authorizer {

    /** What the caller's connection proves about it. */
    public sealed interface Caller {
    }

    /** A caller that presented a certificate the CA signed, with its subject alternative names. */
    public record Certified(List<InetAddress> ipSans, List<String> dnsSans) implements Caller {
        public Certified {
            ipSans = List.copyOf(ipSans);
            dnsSans = List.copyOf(dnsSans);
        }
    }

    /** A plaintext caller: all that is known is where its connection comes from. */
    public record FromAddress(InetAddress source) implements Caller {
    }

    /** A known peer: its name in logs and counters, and the VIPs it may name as its own. */
    public static final class Principal {
        private final String name;
        private final PrefixTable<Boolean> claims;

        private Principal(String name, PrefixTable<Boolean> claims) {
            this.name = name;
            this.claims = claims;
        }

        public String name() {
            return name;
        }

        /** Whether {@code vip} is one of this peer's VIPs (it may ask for tunnels from it). */
        public boolean mayClaim(InetAddress vip) {
            return claims.lookup(vip) != null;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** Why a caller was refused; counted by reason. */
    public enum Denial {
        /** A TLS caller that presented no certificate (one that does not verify fails the handshake instead). */
        NO_CERTIFICATE,
        /** None of the gateway's peers is who the connection proves. */
        UNKNOWN_CALLER,
        /** A known peer named a source VIP that is not one of its own. */
        VIP_NOT_OWNED,
        /** A known peer asked faster than {@code pspgw.peer-limits} allow (counted under its name too). */
        RATE_LIMITED
    }

    /** Nobody is known: every caller is refused. */
    public static final Authorizer NOBODY = new Authorizer(Map.of(), Map.of(), Map.of());

    private final Map<InetAddress, Principal> filePeersByAddress;
    private final Map<String, Principal> membersById;
    private final Map<InetAddress, Principal> membersByAddress;
    private final Map<String, Principal> byName = new HashMap<>();

    private Authorizer(Map<InetAddress, Principal> filePeersByAddress, Map<String, Principal> membersById,
                       Map<InetAddress, Principal> membersByAddress) {
        this.filePeersByAddress = filePeersByAddress;
        this.membersById = membersById;
        this.membersByAddress = membersByAddress;
        filePeersByAddress.values().forEach(p -> byName.put(p.name(), p));
        membersById.values().forEach(p -> byName.put(p.name(), p));
    }

    /** The principal of this snapshot named {@code name}: a caller identified under an earlier one may have left since. */
    public Optional<Principal> named(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /**
     * The peers of {@code tunnels} and the members of {@code cluster}. The tunnel file names at most
     * one peer per IP ({@link TunnelConfig} refuses more at load).
     */
    public static Authorizer of(TunnelConfig tunnels, List<GatewayInfo> cluster) {
        Map<InetAddress, Principal> files = new HashMap<>();
        for (TunnelConfig.Peer peer : tunnels.peers()) {
            PrefixTable<Boolean> claims = new PrefixTable<>();
            peer.remotePrefixes().forEach(p -> claims.put(p.network(), p.length(), Boolean.TRUE));
            InetAddress address = peer.grpc().getAddress();
            files.put(address, new Principal("peer " + IpText.of(peer.grpc()), claims));
        }
        Map<String, Principal> byId = new HashMap<>();
        Map<InetAddress, Principal> byAddress = new HashMap<>();
        for (GatewayInfo member : cluster) {
            PrefixTable<Boolean> claims = new PrefixTable<>();
            claims.putAll(member.vipPrefixes(), Boolean.TRUE);
            Principal principal = new Principal("member " + member.id(), claims);
            byId.put(member.id(), principal);
            byAddress.put(HostPort.ip(member.grpcHost()), principal);
        }
        return new Authorizer(Map.copyOf(files), Map.copyOf(byId), Map.copyOf(byAddress));
    }

    /** The peer {@code caller} is, or empty when it is none of them (or, by its SANs, more than one). */
    public Optional<Principal> identify(Caller caller) {
        return switch (caller) {
            case Certified c -> {
                List<Principal> byIp = new ArrayList<>();
                c.ipSans().forEach(ip -> Optional.ofNullable(filePeersByAddress.get(ip)).ifPresent(byIp::add));
                if (byIp.size() == 1) {
                    yield Optional.of(byIp.getFirst());
                }
                if (byIp.size() > 1) {
                    yield Optional.empty();
                }
                List<Principal> byName = new ArrayList<>();
                c.dnsSans().forEach(name -> Optional.ofNullable(membersById.get(name)).ifPresent(byName::add));
                yield byName.size() == 1 ? Optional.of(byName.getFirst()) : Optional.empty();
            }
            case FromAddress a -> Optional.ofNullable(filePeersByAddress.get(a.source()))
                    .or(() -> Optional.ofNullable(membersByAddress.get(a.source())));
        };
    }
}
