package io.pspgateway.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.pspgateway.cluster.ClusterMembership;
import io.pspgateway.cluster.VipPrefixes;
import io.pspgateway.config.HostPort;
import io.pspgateway.config.TunnelConfig;
import io.pspgateway.control.ControlSettings;
import io.pspgateway.control.GatewayNode;
import io.pspgateway.control.GatewaySettings;
import io.pspgateway.dataplane.DataplaneCounters;
import io.pspgateway.dataplane.DropReason;
import io.pspgateway.dataplane.HoldReason;
import io.pspgateway.dataplane.port.linux.TunPort;
import io.pspgateway.dataplane.port.linux.UdpPort;
import io.pspgateway.dataplane.soft.SoftDataplane;
import io.pspgateway.dataplane.soft.SoftDataplaneSettings;
import io.pspgateway.psp.IpText;
import io.pspgateway.psp.PspVersion;
import io.pspgateway.tls.GrpcTls;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * Runs one gateway from the command line: validates the flags, reads the tunnel file and the
 * HOCON settings into one {@link GatewaySettings}, opens the TUN device and the UDP socket,
 * starts the soft data plane and the control plane, prints what {@code --stat-print} and
 * {@code --perf-print} ask for, and stops cleanly on SIGINT or SIGTERM.
 */
final class GatewayRunner {
    private GatewayRunner() {
    }

    static int run(GatewayOptions o, CommandLine cli) throws Exception {
        validate(o, cli);
        System.setProperty("PSPGW_LOG_LEVEL", logbackLevel(o.logLevel));
        System.setProperty("PSPGW_SDK_LOG_LEVEL", logbackLevel(o.sdkLogLevel));
        Logger log = LoggerFactory.getLogger(GatewayRunner.class);
        PrintWriter out = cli.getOut();
        reportIgnored(o, log);

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
        Long cookie = o.cookie ? new SecureRandom().nextLong() : null;
        int offset = o.cryptOffset != null ? o.cryptOffset
                : GatewaySettings.defaultCryptOffset(o.mode, o.innerIpType == GatewayOptions.IpType.ipv6, o.cookie);
        ClusterMembership membership = null;
        Config config = ConfigFactory.load();
        if (o.clusterPort != null) {
            List<String> prefixes = new java.util.ArrayList<>(o.vipPrefixes);
            if (prefixes.isEmpty()) {
                localVips.forEach(v -> prefixes.add(IpText.of(v) + (v.getAddress().length == 16 ? "/128" : "/32")));
            }
            VipPrefixes announced;
            try {
                announced = VipPrefixes.parse(prefixes);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(cli, "--vip-prefix: " + e.getMessage());
            }
            membership = new ClusterMembership(o.gatewayId != null ? o.gatewayId : IpText.of(uplink), announced);
            try {
                config = ClusterMembership.config(clusterOverrides(o, uplink));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(cli, "--cluster-seed/--cluster-bootstrap: " + e.getMessage());
            }
        }
        // no local-grpc-address: every address of the uplink's family (an IPv6 uplink's peers dial IPv6)
        InetSocketAddress grpc = tunnels.localGrpc() != null ? tunnels.localGrpc()
                : new InetSocketAddress(HostPort.ip(uplink instanceof Inet6Address ? "::" : "0.0.0.0"), TunnelConfig.DEFAULT_GRPC_PORT);
        GatewaySettings settings = new GatewaySettings(grpc, uplink, "", localVips, PspVersion.fromWire(o.pspVersion), offset,
                cookie, o.mode, o.staticTunnels, tunnels, ControlSettings.from(config), membership, tlsMaterial(o, cli, log));
        SoftDataplaneSettings dataplaneSettings = SoftDataplaneSettings.defaults().withKeySlots(o.maxTunnels)
                .withSampleLog2(o.sampleRate).withIngressAcl(!o.disableIngressAcl)
                .withInnerIpVersion(o.innerIpType == GatewayOptions.IpType.ipv6 ? 6 : 4);

        TunPort tun = TunPort.open(o.vfName);
        UdpPort udp;
        try {
            udp = UdpPort.bind(new InetSocketAddress(uplink, o.udpPort), dataplaneSettings.batchSize());
        } catch (IOException e) {
            tun.close();
            throw e;
        }
        SoftDataplane dataplane = new SoftDataplane(dataplaneSettings, tun, udp);
        dataplane.start();
        GatewayNode node;
        try {
            node = GatewayNode.start("pspgw", settings, dataplane, config);
        } catch (Exception e) {
            dataplane.close();
            throw e;
        }
        out.printf("pspgw running: TUN %s, PSP on udp %s, gRPC on %s, %d peer(s) in the file%s, %s tunnels. Ctrl-C stops.%n",
                o.vfName, IpText.of(new InetSocketAddress(uplink, o.udpPort)), IpText.of(node.grpcAddress()), tunnels.peers().size(),
                membership == null ? "" : ", clustered as " + membership.gatewayId() + " on port " + o.clusterPort,
                o.staticTunnels ? "static" : "on-demand");
        out.flush();

        ScheduledExecutorService printer = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon(true)
                .name("pspgw-printer").unstarted(r));
        if (o.statPrint || o.perfPrint != null) {
            StatPrinter stats = new StatPrinter(node, out, o.statPrint, o.perfPrint);
            printer.scheduleAtFixedRate(stats::print, 1, 1, TimeUnit.SECONDS);
        }
        // stop on a signal (exit 0), or when the actors stop on their own: the cluster's split-brain
        // resolver downed this gateway (a partition left it in the minority) and its tunnels are gone.
        // Exiting then, rather than lingering with a data plane nobody drives, lets the service manager
        // start a new incarnation that rejoins.
        CompletableFuture<Boolean> bySignal = new CompletableFuture<>();
        CountDownLatch closed = new CountDownLatch(1);
        Thread hook = Thread.ofPlatform().unstarted(() -> {
            bySignal.complete(true);
            printer.shutdownNow();
            node.close();
            closed.countDown();
        });
        Runtime.getRuntime().addShutdownHook(hook);
        node.whenTerminated().thenRun(() -> bySignal.complete(false));
        if (bySignal.get()) {
            closed.await();
            return 0;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDownAnyway) {
            closed.await();
            return 0;
        }
        log.error("the gateway's actors stopped on their own (downed by the cluster, or a fatal error): its tunnels are gone; "
                + "exiting with status {} so that the service manager starts a new incarnation", EXIT_ACTORS_STOPPED);
        printer.shutdownNow();
        node.close();
        return EXIT_ACTORS_STOPPED;
    }

    /**
     * The cluster flags as Pekko settings: Artery's canonical address is the uplink, seed nodes are
     * {@code pekko://pspgw@host:port} URIs (IPv6 hosts in brackets), and with {@code --cluster-bootstrap}
     * the management endpoint and its contact points. Built as values, never as HOCON text: an IPv6
     * literal's colons need no quoting rules.
     */
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
    private static Optional<GrpcTls> tlsMaterial(GatewayOptions o, CommandLine cli, Logger log) {
        int given = (o.tlsCa != null ? 1 : 0) + (o.tlsCert != null ? 1 : 0) + (o.tlsKey != null ? 1 : 0);
        if (given == 0) {
            log.warn("gRPC between gateways runs in plaintext, as the original's: tunnel keys cross the network in the clear. "
                    + "Pass --tls-ca, --tls-cert and --tls-key (made with: pspgw certs) to authenticate and encrypt it");
            return Optional.empty();
        }
        if (given != 3) {
            throw new CommandLine.ParameterException(cli, "--tls-ca, --tls-cert and --tls-key go together: give all three");
        }
        try {
            GrpcTls tls = GrpcTls.load(o.tlsCa, o.tlsCert, o.tlsKey);
            if (GrpcTls.readableByOthers(o.tlsKey)) {
                log.warn("--tls-key {} can be read by other users: chmod 600 it", o.tlsKey);
            }
            log.info("gRPC over mutual TLS as {}", tls.certificate().getSubjectX500Principal().getName());
            return Optional.of(tls);
        } catch (GrpcTls.TlsException e) {
            throw new CommandLine.ParameterException(cli, e.getMessage());
        }
    }

    /** The exit status when the gateway's actors stopped without being asked to (downed by the cluster). */
    static final int EXIT_ACTORS_STOPPED = 3;

    private static void validate(GatewayOptions o, CommandLine cli) {
        if (o.uplinkIp == null) {
            throw new CommandLine.ParameterException(cli, "--uplink-ip is required: the address peers send PSP to "
                    + "(the DOCA gateway takes it from the PCI device; a software gateway must be told)");
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

    private static void reportIgnored(GatewayOptions o, Logger log) {
        List<String> ignored = new java.util.ArrayList<>();
        if (o.pciAddr != null) {
            ignored.add("-p/--pci-addr");
        }
        if (o.repr != null) {
            ignored.add("-r/--repr");
        }
        if (o.coreMask != null) {
            ignored.add("-m/--core-mask");
        }
        if (o.decapDmac != null) {
            ignored.add("--decap-dmac (the TUN device is L3)");
        }
        if (o.nexthopDmac != null) {
            ignored.add("-n/--nexthop-dmac (the kernel routes the UDP socket's packets)");
        }
        if (o.maintainOrder) {
            ignored.add("--maintain-order (the soft pipeline keeps order anyway)");
        }
        if (o.debugKeys) {
            log.warn("-k/--debug-keys: the soft backend never logs key material; SPIs are logged at debug level");
        }
        if (!ignored.isEmpty()) {
            log.warn("ignored by the soft backend (they configure DOCA hardware): {}", String.join(", ", ignored));
        }
    }

    /** The original's numeric levels in logback's names. */
    static String logbackLevel(int doca) {
        return switch (doca) {
            case 10 -> "OFF";
            case 20, 30 -> "ERROR";
            case 40 -> "WARN";
            case 50 -> "INFO";
            case 60 -> "DEBUG";
            default -> "TRACE";
        };
    }

    /** --stat-print and --perf-print, in the original's words, printed only when something changed. */
    private static final class StatPrinter {
        private final GatewayNode node;
        private final PrintWriter out;
        private final boolean stats;
        private final GatewayOptions.PerfPrint perf;
        private String last = "";

        StatPrinter(GatewayNode node, PrintWriter out, boolean stats, GatewayOptions.PerfPrint perf) {
            this.node = node;
            this.out = out;
            this.stats = stats;
            this.perf = perf;
        }

        void print() {
            StringBuilder sb = new StringBuilder();
            if (stats) {
                DataplaneCounters c = node.dataplane().counters();
                sb.append(String.format("Egress encrypt: %d hits [%d misses]%n", c.txPackets(), c.held(HoldReason.MISS)));
                sb.append(String.format("Ingress decrypt: %d hits%n", c.rxPackets()));
                sb.append(String.format("syndrome - ICV Fail: %d hits%n", c.dropped(DropReason.INGRESS_AUTH_FAILED)));
                sb.append(String.format("syndrome - Bad Trailer: %d hits%n", c.dropped(DropReason.INGRESS_BAD_HEADER)
                        + c.dropped(DropReason.INGRESS_MALFORMED)));
                sb.append(String.format("Ingress ACL: %d misses%n", c.dropped(DropReason.INGRESS_ACL_MISS)));
                node.egressSessions().forEach(flow -> {
                    var counters = node.dataplane().encryptEntryCounters(flow);
                    sb.append(String.format("Session Egress (%s -> %s): %d hits%n", IpText.of(flow.source()),
                            IpText.of(flow.destination()), counters == null ? 0 : counters.packets()));
                });
                node.ingressSessions().forEach((flow, hits) -> sb.append(String.format("Session Ingress (%s <- %s): %d hits%n",
                        IpText.of(flow.source()), IpText.of(flow.destination()), hits)));
            }
            if (perf == GatewayOptions.PerfPrint.key_gen || perf == GatewayOptions.PerfPrint.all) {
                sb.append(node.perf().keyGenLine()).append(System.lineSeparator());
            }
            if (perf == GatewayOptions.PerfPrint.insertion || perf == GatewayOptions.PerfPrint.all) {
                sb.append(node.perf().insertionLine()).append(System.lineSeparator());
            }
            String now = sb.toString();
            if (!now.equals(last)) {
                out.print(now);
                out.flush();
                last = now;
            }
        }
    }
}
