package io.pspgateway.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.pspgateway.cluster.ClusterMembership;
import io.pspgateway.cluster.VipPrefixes;
import io.pspgateway.config.HostPort;
import io.pspgateway.config.TunnelConfig;
import io.pspgateway.control.ControlSettings;
import io.pspgateway.control.GatewaySettings;
import io.pspgateway.psp.IpText;
import io.pspgateway.psp.PspVersion;
import io.pspgateway.tls.GrpcTls;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import picocli.CommandLine;

/**
 * Everything one {@code pspgw} process runs with, read from the flags (with {@code -j/--json}
 * expanded), the tunnel file ({@code -c}) and HOCON ({@code application.conf}, the cluster flags
 * as values), and validated here, once: a bad flag, file or combination is a
 * {@link CommandLine.ParameterException} (exit status 2) before anything is opened.
 *
 * @param backendKind which data plane opens the ports ({@code --backend})
 * @param dataplane   the data plane's settings, for that backend
 * @param gateway     the control plane's settings: addresses, VIPs, PSP parameters, tunnels, cluster
 *                    membership, gRPC's TLS material (or plaintext)
 * @param pekko       the ActorSystem's configuration
 * @param warnings    what the operator should hear about the configuration, logged once logging is set up
 */
record GatewayConfig(GatewayOptions.BackendKind backendKind, DataplaneConfig dataplane, GatewaySettings gateway, Config pekko,
                     List<String> warnings) {

    static GatewayConfig from(GatewayOptions o, CommandLine cli) {
        validate(o, cli);
        List<String> warnings = new ArrayList<>();
        TunnelConfig tunnels;
        try {
            tunnels = o.config == null ? TunnelConfig.empty() : TunnelConfig.parse(Files.readString(o.config), o.config.toString());
        } catch (TunnelConfig.ConfigException e) {
            throw new CommandLine.ParameterException(cli, "-c/--config: " + e.getMessage());
        } catch (IOException e) {
            throw new CommandLine.ParameterException(cli, "-c/--config: cannot read " + o.config + ": " + e.getMessage());
        }
        InetAddress uplink = HostPort.ip(o.uplinkIp);
        Set<InetAddress> localVips = new HashSet<>();
        tunnels.peers().forEach(p -> p.pairs().forEach(pair -> {
            if (pair.local() != null) {
                localVips.add(pair.local());
            }
        }));
        for (String v : o.localVips) {
            localVips.add(ipFlag(cli, "--local-vip", v));
        }
        OptionalLong cookie = o.cookie ? OptionalLong.of(new SecureRandom().nextLong()) : OptionalLong.empty();
        int offset = o.cryptOffset != null ? o.cryptOffset
                : GatewaySettings.defaultCryptOffset(o.mode, o.innerIpType == GatewayOptions.IpType.ipv6, o.cookie);
        Optional<ClusterMembership> membership = Optional.empty();
        Config config = ConfigFactory.load();
        if (o.clusterPort != null) {
            List<String> prefixes = new ArrayList<>(o.vipPrefixes);
            if (prefixes.isEmpty()) {
                localVips.forEach(v -> prefixes.add(IpText.of(v) + (v.getAddress().length == 16 ? "/128" : "/32")));
            }
            VipPrefixes announced;
            try {
                announced = VipPrefixes.parse(prefixes);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(cli, "--vip-prefix: " + e.getMessage());
            }
            membership = Optional.of(new ClusterMembership(o.gatewayId != null ? o.gatewayId : IpText.of(uplink), announced));
            try {
                config = ClusterMembership.config(clusterOverrides(o, uplink));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(cli, "--cluster-seed/--cluster-bootstrap: " + e.getMessage());
            }
        }
        // no local-grpc-address: every address of the uplink's family (an IPv6 uplink's peers dial IPv6)
        InetSocketAddress grpc = tunnels.localGrpc() != null ? tunnels.localGrpc()
                : new InetSocketAddress(HostPort.ip(uplink instanceof Inet6Address ? "::" : "0.0.0.0"), TunnelConfig.DEFAULT_GRPC_PORT);
        Optional<GrpcTls> tls = tlsMaterial(o, cli, warnings);
        if (membership.isPresent() && tls.isPresent()) {
            membership.get().refusalUnder(tls.get().certificate()).ifPresent(refusal -> {
                throw new CommandLine.ParameterException(cli, "--tls-cert " + o.tlsCert + ": " + refusal + "; pass --gateway-id the "
                        + "--name it was issued for, or issue it with pspgw certs issue --name ID --vip-prefix PREFIX");
            });
        }
        if (o.backend == GatewayOptions.BackendKind.doca && cli.getParseResult() != null && cli.getParseResult().hasMatchedOption("--vf-name")) {
            warnings.add("-d/--vf-name " + o.vfName + " is not used by --backend doca: its unsecured port is the VF representor (-r)");
        }
        GatewaySettings settings = new GatewaySettings(grpc, uplink, "", localVips, PspVersion.fromWire(o.pspVersion), offset,
                cookie, o.mode, o.staticTunnels, tunnels, ControlSettings.from(config), membership, tls, o.debugKeys);
        DataplaneConfig dataplane = new DataplaneConfig(o.maxTunnels, o.sampleRate, !o.disableIngressAcl,
                o.innerIpType == GatewayOptions.IpType.ipv6 ? 6 : 4, o.mode, o.cookie, o.vfName, new InetSocketAddress(uplink, o.udpPort),
                queues(config, cli), DataplaneConfig.DocaFlags.from(o, config));
        return new GatewayConfig(o.backend, dataplane, settings, config, List.copyOf(warnings));
    }

    /**
     * The cluster flags as Pekko settings: Artery's canonical address is the uplink, seed nodes are
     * {@code pekko://pspgw@host:port} URIs (IPv6 hosts in brackets), and with {@code --cluster-bootstrap}
     * the management endpoint and its contact points. Built as values, never as HOCON text: an IPv6
     * literal's colons need no quoting rules.
     */
    private static DataplaneConfig.Queues queues(Config config, CommandLine cli) {
        try {
            DataplaneConfig.Queues q = DataplaneConfig.Queues.from(config);
            check(cli, q.workers() >= 1 && q.workers() <= 64, "pspgw.dataplane.workers must be 1-64, got " + q.workers());
            check(cli, q.batchSize() >= 1 && q.batchSize() <= 1024, "pspgw.dataplane.batch-size must be 1-1024, got " + q.batchSize());
            check(cli, q.missQueue() >= 2, "pspgw.dataplane.miss-queue must be at least 2, got " + q.missQueue());
            return q;
        } catch (com.typesafe.config.ConfigException e) {
            throw new CommandLine.ParameterException(cli, "pspgw.dataplane: " + e.getMessage());
        }
    }

    static Config clusterOverrides(GatewayOptions o, InetAddress uplink) {
        Map<String, Object> settings = new HashMap<>();
        settings.put("pekko.remote.artery.canonical.hostname", IpText.of(uplink));
        settings.put("pekko.remote.artery.canonical.port", o.clusterPort);
        List<String> seeds = new ArrayList<>();
        for (String seed : o.clusterSeeds) {
            seeds.add("pekko://" + ClusterMembership.SYSTEM_NAME + "@" + IpText.of(HostPort.parse(seed, DEFAULT_CLUSTER_PORT)));
        }
        settings.put("pekko.cluster.seed-nodes", seeds);
        if (!o.clusterBootstrap.isEmpty()) {
            List<Map<String, Object>> contactPoints = new ArrayList<>();
            for (String contact : o.clusterBootstrap) {
                InetSocketAddress c = HostPort.parse(contact, DEFAULT_MANAGEMENT_PORT);
                contactPoints.add(Map.of("host", IpText.of(c.getAddress()), "port", c.getPort()));
            }
            settings.put("pspgw.cluster.join", "bootstrap");
            settings.put("pekko.management.http.hostname", IpText.of(uplink));
            settings.put("pekko.management.http.port", o.managementPort);
            settings.put("pekko.discovery.config.services.pspgw.endpoints", contactPoints);
            settings.put("pekko.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr",
                    o.clusterBootstrap.size());
        }
        return ConfigFactory.parseMap(settings, "pspgw flags");
    }

    private static final int DEFAULT_CLUSTER_PORT = 25520;
    private static final int DEFAULT_MANAGEMENT_PORT = 7626;

    /**
     * The gRPC channels' TLS material when {@code --tls-ca}, {@code --tls-cert} and {@code --tls-key}
     * are given (all three or none); empty means plaintext channels, as the original runs them.
     */
    private static Optional<GrpcTls> tlsMaterial(GatewayOptions o, CommandLine cli, List<String> warnings) {
        int given = (o.tlsCa != null ? 1 : 0) + (o.tlsCert != null ? 1 : 0) + (o.tlsKey != null ? 1 : 0);
        if (o.insecurePlaintext) {
            if (given > 0) {
                throw new CommandLine.ParameterException(cli, "--insecure-plaintext and --tls-ca/--tls-cert/--tls-key exclude each other");
            }
            warnings.add("--insecure-plaintext: gRPC between gateways runs in plaintext, as the original's: tunnel keys cross the "
                    + "network in the clear and a caller is trusted by its source address alone. Use it only to interoperate with "
                    + "an original DOCA gateway" + (o.clusterPort == null ? "" : ". The cluster (Artery) runs in plaintext too: "
                    + "anyone who reaches --cluster-port can join, and members' VIP claims are unauthenticated"));
            return Optional.empty();
        }
        if (given == 0) {
            throw new CommandLine.ParameterException(cli, "gRPC between gateways runs over mutual TLS: pass --tls-ca FILE --tls-cert FILE "
                    + "--tls-key FILE (make them with: pspgw certs ca --out DIR; pspgw certs issue --ca DIR --name ID --ip ADDRESS "
                    + "--out DIR), or --insecure-plaintext to talk to an original DOCA gateway");
        }
        if (given != 3) {
            throw new CommandLine.ParameterException(cli, "--tls-ca, --tls-cert and --tls-key go together: give all three");
        }
        try {
            GrpcTls tls = GrpcTls.load(o.tlsCa, o.tlsCert, o.tlsKey);
            if (GrpcTls.readableByOthers(o.tlsKey)) {
                warnings.add("--tls-key " + o.tlsKey + " can be read by other users: chmod 600 it");
            }
            return Optional.of(tls);
        } catch (GrpcTls.TlsException e) {
            throw new CommandLine.ParameterException(cli, e.getMessage());
        }
    }

    private static void validate(GatewayOptions o, CommandLine cli) {
        if (o.uplinkIp == null) {
            throw new CommandLine.ParameterException(cli, "--uplink-ip is required: the address peers send PSP to "
                    + "(--backend doca takes it from the device at -p; the soft backend must be told)");
        }
        InetAddress uplink = ipFlag(cli, "--uplink-ip", o.uplinkIp);
        if ((uplink.getAddress().length == 16) != (o.outerIpType == GatewayOptions.IpType.ipv6)) {
            throw new CommandLine.ParameterException(cli, "--outer-ip-type " + o.outerIpType + " does not match --uplink-ip "
                    + o.uplinkIp + " (the default outer type is ipv6, as in the original)");
        }
        check(cli, o.sampleRate >= 0 && o.sampleRate <= 16, "--sample-rate must be 0-16, got " + o.sampleRate);
        check(cli, o.maxTunnels >= 1 && o.maxTunnels <= 1 << 20, "-x/--max-tunnels must be 1-1048576, got " + o.maxTunnels);
        check(cli, o.cryptOffset == null || (o.cryptOffset >= 0 && o.cryptOffset <= 63),
                "-o/--crypt-offset must be 0-63 words, got " + o.cryptOffset);
        check(cli, o.pspVersion == 0 || o.pspVersion == 1, "--psp-version must be 0 or 1, got " + o.pspVersion);
        check(cli, o.udpPort >= 1 && o.udpPort <= 65535, "--udp-port must be 1-65535, got " + o.udpPort);
        check(cli, o.logLevel >= 10 && o.logLevel <= 70 && o.logLevel % 10 == 0, "-l/--log-level must be 10, 20, ... 70, got " + o.logLevel);
        check(cli, o.sdkLogLevel >= 10 && o.sdkLogLevel <= 70 && o.sdkLogLevel % 10 == 0,
                "--sdk-log-level must be 10, 20, ... 70, got " + o.sdkLogLevel);
        check(cli, !o.vfName.isEmpty() && o.vfName.length() < 16, "-d/--vf-name must be 1-15 characters");
        check(cli, o.clusterPort == null || (o.clusterPort >= 1 && o.clusterPort <= 65535),
                "--cluster-port must be 1-65535, got " + o.clusterPort);
        check(cli, o.clusterPort != null || (o.clusterSeeds.isEmpty() && o.clusterBootstrap.isEmpty() && o.vipPrefixes.isEmpty()
                        && o.gatewayId == null),
                "--cluster-seed, --cluster-bootstrap, --vip-prefix and --gateway-id need --cluster-port");
        check(cli, o.clusterSeeds.isEmpty() || o.clusterBootstrap.isEmpty(),
                "--cluster-seed and --cluster-bootstrap exclude each other: a gateway joins by seeds or by bootstrap");
        check(cli, o.managementPort >= 1 && o.managementPort <= 65535, "--management-port must be 1-65535, got " + o.managementPort);
    }

    private static void check(CommandLine cli, boolean ok, String message) {
        if (!ok) {
            throw new CommandLine.ParameterException(cli, message);
        }
    }

    private static InetAddress ipFlag(CommandLine cli, String flag, String value) {
        try {
            return HostPort.ip(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cli, flag + ": " + e.getMessage());
        }
    }
}
