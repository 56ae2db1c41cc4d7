package io.pspgateway.control;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.pspgateway.cluster.ClusterMembership;
import io.pspgateway.cluster.VipPrefixes;
import io.pspgateway.config.TunnelConfig;
import io.pspgateway.dataplane.DataplaneInspection;
import io.pspgateway.dataplane.DataplaneOps;
import io.pspgateway.dataplane.memory.RecordingDataplane;
import io.pspgateway.dataplane.port.MemoryNetwork;
import io.pspgateway.dataplane.port.MemoryPort;
import io.pspgateway.dataplane.port.PacketPort;
import io.pspgateway.dataplane.soft.SoftDataplane;
import io.pspgateway.dataplane.soft.SoftDataplaneSettings;
import io.pspgateway.netns.NamespaceNetwork;
import io.pspgateway.proto.doca.PSP_Gateway;
import io.pspgateway.psp.IpText;
import io.pspgateway.psp.PspMode;
import io.pspgateway.psp.PspVersion;
import io.pspgateway.tls.Certificates;
import io.pspgateway.tls.GrpcTls;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.IntFunction;

/**
 * N gateways in one JVM, each with its own ActorSystem, soft data plane on in-memory ports and
 * gRPC server on a loopback address of its own (127.0.0.(i+1)), joined by a {@link MemoryNetwork}: the demo's setting, and the tests'.
 * Gateway i has physical address 198.51.100.(i+1) (as in {@link NamespaceNetwork}), serves VIPs number 1 to N ({@link Member#vip(int)}), and its
 * tunnel file (written as the original's JSON and parsed like one) names every other gateway.
 */
public final class LocalCluster implements AutoCloseable {
    /**
     * Where a gateway's ports come from. {@link #inMemory()} joins them with in-memory links and
     * keeps the host end of each plain port; other factories (TUN + UDP in a namespace) return
     * no host end, the kernel plays the host.
     */
    public interface PortFactory {
        /** The plain and secure ports of gateway {@code i}, and the host end of its plain port (or null). */
        PacketPort[] open(int i, InetAddress physical, LocalCluster cluster) throws Exception;

        static PortFactory inMemory() {
            return (i, physical, cluster) -> {
                MemoryPort[] plain = MemoryPort.link("host-" + i, "plain-" + i, 1 << 18);
                return new PacketPort[] {plain[1], cluster.network.attach(physical), plain[0]};
            };
        }
    }

    /**
     * What wraps the parts of gateway {@code i} as it starts (again, at every restart): its two
     * packet ports, its data plane as the control plane sees it, its gRPC service and its actors.
     * {@link #NONE} wraps nothing; tests that inject faults pass their own.
     */
    public interface Decorator {
        default PacketPort port(int gateway, PacketPort port) {
            return port;
        }

        default DataplaneOps dataplane(int gateway, DataplaneOps ops) {
            return ops;
        }

        default PSP_Gateway service(int gateway, PSP_Gateway service) {
            return service;
        }

        default ActorDecorator actors(int gateway) {
            return ActorDecorator.NONE;
        }

        Decorator NONE = new Decorator() {
        };
    }

    /** One gateway with the host behind it ({@code host}: send inner packets, take delivered ones; null when the kernel is the host). */
    public record Member(int index, String name, InetAddress physical, InetAddress vip, MemoryPort host, DataplaneOps dataplane,
                         DataplaneInspection inspection, GatewayNode node) {
        /** VIP number {@code host} (from 1) of this gateway: 10.(i+1).(host / 256).(host % 256). */
        public InetAddress vip(int host) {
            return vipOf(index(), host);
        }
    }

    /**
     * Starts gateway i on its addresses and ports: again, after a crash, as a new incarnation. A
     * clustered gateway is given its Artery port and seed nodes at each launch.
     */
    @FunctionalInterface
    private interface Launcher {
        Member launch(Config cluster) throws Exception;
    }

    private final MemoryNetwork network = new MemoryNetwork();
    private final Certificates.Issued authority = Certificates.newAuthority("pspgw LocalCluster CA", Duration.ofDays(1));
    private final List<Optional<GrpcTls>> tls = new ArrayList<>();
    private final Map<String, Certificates.Issued> generated = new LinkedHashMap<>();
    private final List<Member> members = new ArrayList<>();
    private final List<Launcher> launchers = new ArrayList<>();
    /** Where each clustered gateway's Artery listens now (empty for a cluster of tunnel files). */
    private final List<InetSocketAddress> artery = new ArrayList<>();
    private boolean joinsBySeeds;

    static InetAddress vipOf(int gateway, int host) {
        return address("10." + (gateway + 1) + "." + (host >> 8) + "." + (host & 0xFF));
    }

    /** The index of the gateway serving {@code vip} (10.(i+1).x.y), or -1 for an address of no gateway here. */
    public static int gatewayOfVip(String vip) {
        String[] parts = vip.split("\\.");
        try {
            return parts.length == 4 && parts[0].equals("10") ? Integer.parseInt(parts[1]) - 1 : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The prefix gateway i serves: 10.(i+1).0.0, a /24 or as much longer as its VIPs need. */
    static String servedPrefix(int gateway, int vipsPerGateway) {
        int hostBits = Math.max(8, 32 - Integer.numberOfLeadingZeros(vipsPerGateway + 1));
        return "10." + (gateway + 1) + ".0.0/" + (32 - hostBits);
    }

    static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Starts {@code n} gateways serving {@code vipsPerGateway} VIPs each, with the data plane
     * settings {@code dataplaneSettings} gives for gateway i and {@code overrides} over the
     * configuration.
     */
    public static LocalCluster start(int n, int vipsPerGateway, IntFunction<SoftDataplaneSettings> dataplaneSettings,
                                     Config overrides) throws Exception {
        return start(n, vipsPerGateway, dataplaneSettings, overrides, PortFactory.inMemory());
    }

    /** As above, with the ports {@code ports} opens. */
    public static LocalCluster start(int n, int vipsPerGateway, IntFunction<SoftDataplaneSettings> dataplaneSettings,
                                     Config overrides, PortFactory ports) throws Exception {
        return start(n, vipsPerGateway, dataplaneSettings, overrides, ports, Join.FILES, Decorator.NONE);
    }

    /** {@code n} gateways (in-memory, tunnel files) whose parts {@code decorator} wraps. */
    public static LocalCluster startDecorated(int n, int vipsPerGateway, Decorator decorator,
                                              IntFunction<SoftDataplaneSettings> dataplaneSettings, Config overrides) throws Exception {
        return start(n, vipsPerGateway, dataplaneSettings, overrides, PortFactory.inMemory(), Join.FILES, decorator);
    }

    /** As {@link #startDecorated}, but the gateways find each other through a cluster, as {@link #startClustered} starts them. */
    public static LocalCluster startClusteredDecorated(int n, int vipsPerGateway, Decorator decorator,
                                                       IntFunction<SoftDataplaneSettings> dataplaneSettings, Config overrides)
            throws Exception {
        return start(n, vipsPerGateway, dataplaneSettings, overrides, PortFactory.inMemory(), Join.SEEDS, decorator);
    }

    /**
     * {@code n} gateways that find each other through a Pekko Cluster (Artery on loopback, gateway 0
     * the seed) instead of tunnel files: their files name no peers, and each announces its {@link #servedPrefix}.
     */
    public static LocalCluster startClustered(int n, int vipsPerGateway, Config overrides) throws Exception {
        return startClustered(n, vipsPerGateway, i -> SoftDataplaneSettings.defaults(), overrides);
    }

    /** As above, with the data plane settings {@code dataplaneSettings} gives for gateway i. */
    public static LocalCluster startClustered(int n, int vipsPerGateway, IntFunction<SoftDataplaneSettings> dataplaneSettings,
                                              Config overrides) throws Exception {
        return start(n, vipsPerGateway, dataplaneSettings, overrides, PortFactory.inMemory(), Join.SEEDS, Decorator.NONE);
    }

    /**
     * As {@link #startClustered(int, int, Config)}, but with no seed nodes: the gateways find each
     * other through Pekko Cluster Bootstrap, every one naming all management endpoints as contact points.
     */
    public static LocalCluster startBootstrapped(int n, int vipsPerGateway, Config overrides) throws Exception {
        return start(n, vipsPerGateway, i -> SoftDataplaneSettings.defaults(), overrides, PortFactory.inMemory(), Join.BOOTSTRAP, Decorator.NONE);
    }

    /** How the gateways learn of each other: tunnel files naming every peer, or a cluster joined by seeds or bootstrap. */
    /**
     * How the gateways find each other: tunnel files (on-demand tunnels, or every configured pair
     * connected at start as with {@code -z}), or a cluster joined by seed nodes or by bootstrap.
     */
    private enum Join { FILES, FILES_STATIC, SEEDS, BOOTSTRAP }

    /**
     * The underlay: physical addresses, and the loopback address gRPC, Artery and Pekko Management
     * listen on. IPv4: 198.51.100.(i+1), and 127.0.0.(i+1) of its own for gateway i (Linux routes all
     * of 127/8 to {@code lo}), so that a peer can be told apart by the address it calls from. IPv6:
     * 2001:db8::(i+1), and {@code ::1} for all (the only IPv6 loopback address).
     */
    private enum Underlay {
        IPV4, IPV6;

        InetAddress loopback(int gateway) {
            return this == IPV4 ? address("127.0.0." + (gateway + 1)) : address("::1");
        }

        InetAddress physical(int gateway) {
            return this == IPV4 ? address(NamespaceNetwork.physical(gateway)) : address("2001:db8::" + (gateway + 1));
        }
    }

    /**
     * {@code n} gateways (in-memory, tunnel files) on an IPv6 underlay, the original's default outer
     * type: uplinks 2001:db8::(i+1), gRPC on {@code [::1]}, the files' addresses in brackets.
     */
    public static LocalCluster startOverIpv6(int n, int vipsPerGateway) throws Exception {
        return start(n, vipsPerGateway, new Plane.Soft(PortFactory.inMemory(), i -> SoftDataplaneSettings.defaults()),
                ConfigFactory.empty(), Join.FILES, Decorator.NONE, Underlay.IPV6, new Security.Generated());
    }

    /** As above, gateway i's gRPC channels authenticated with the TLS material {@code tls} gives it instead. */
    public static LocalCluster startOverIpv6(int n, int vipsPerGateway, IntFunction<GrpcTls> tls) throws Exception {
        return start(n, vipsPerGateway, new Plane.Soft(PortFactory.inMemory(), i -> SoftDataplaneSettings.defaults()),
                ConfigFactory.empty(), Join.FILES, Decorator.NONE, Underlay.IPV6, new Security.Given(tls));
    }

    /** {@code n} gateways (in-memory, tunnel files), gateway i authenticated with the TLS material {@code tls} gives it. */
    public static LocalCluster startWithTls(int n, int vipsPerGateway, IntFunction<GrpcTls> tls) throws Exception {
        return start(n, vipsPerGateway, new Plane.Soft(PortFactory.inMemory(), i -> SoftDataplaneSettings.defaults()),
                ConfigFactory.empty(), Join.FILES, Decorator.NONE, Underlay.IPV4, new Security.Given(tls));
    }

    /** As {@link #startClustered(int, int, Config)}, gateway i authenticated with the TLS material {@code tls} gives it. */
    public static LocalCluster startClusteredWithTls(int n, int vipsPerGateway, IntFunction<GrpcTls> tls) throws Exception {
        return start(n, vipsPerGateway, new Plane.Soft(PortFactory.inMemory(), i -> SoftDataplaneSettings.defaults()),
                ConfigFactory.empty(), Join.SEEDS, Decorator.NONE, Underlay.IPV4, new Security.Given(tls));
    }

    /**
     * {@code n} gateways (in-memory, tunnel files) whose gRPC runs in plaintext, as with
     * {@code --insecure-plaintext}: each caller is authorised by the address it calls from.
     */
    public static LocalCluster startInsecure(int n, int vipsPerGateway) throws Exception {
        return start(n, vipsPerGateway, new Plane.Soft(PortFactory.inMemory(), i -> SoftDataplaneSettings.defaults()),
                ConfigFactory.empty(), Join.FILES, Decorator.NONE, Underlay.IPV4, new Security.Plaintext());
    }

    /** As {@link #start(int, int, IntFunction, Config)}, over plaintext gRPC (callers known by their source address). */
    public static LocalCluster startInsecure(int n, int vipsPerGateway, IntFunction<SoftDataplaneSettings> dataplaneSettings,
                                             Config overrides) throws Exception {
        return start(n, vipsPerGateway, new Plane.Soft(PortFactory.inMemory(), dataplaneSettings), overrides, Join.FILES, Decorator.NONE,
                Underlay.IPV4, new Security.Plaintext());
    }

    /** As {@link #startClustered(int, int, Config)} on the IPv6 underlay: Artery, seed nodes and gRPC on {@code [::1]}. */
    public static LocalCluster startClusteredOverIpv6(int n, int vipsPerGateway) throws Exception {
        return start(n, vipsPerGateway, new Plane.Soft(PortFactory.inMemory(), i -> SoftDataplaneSettings.defaults()),
                ConfigFactory.empty(), Join.SEEDS, Decorator.NONE, Underlay.IPV6, new Security.Generated());
    }

    /** As {@link #startBootstrapped} on the IPv6 underlay: management endpoints and contact points on {@code [::1]}. */
    public static LocalCluster startBootstrappedOverIpv6(int n, int vipsPerGateway) throws Exception {
        return start(n, vipsPerGateway, new Plane.Soft(PortFactory.inMemory(), i -> SoftDataplaneSettings.defaults()),
                ConfigFactory.empty(), Join.BOOTSTRAP, Decorator.NONE, Underlay.IPV6, new Security.Generated());
    }

    /**
     * {@code n} gateways (in-memory, tunnel files) started with the original's {@code -z}: every pair
     * of the tunnel files — the local VIP to every address of each peer's prefix — is set up at start.
     */
    public static LocalCluster startWithStaticTunnels(int n, int vipsPerGateway, IntFunction<SoftDataplaneSettings> dataplaneSettings)
            throws Exception {
        return start(n, vipsPerGateway, dataplaneSettings, ConfigFactory.empty(), PortFactory.inMemory(), Join.FILES_STATIC, Decorator.NONE);
    }

    private static LocalCluster start(int n, int vipsPerGateway, IntFunction<SoftDataplaneSettings> dataplaneSettings,
                                      Config overrides, PortFactory ports, Join join, Decorator decorator)
            throws Exception {
        return start(n, vipsPerGateway, new Plane.Soft(ports, dataplaneSettings), overrides, join, decorator, Underlay.IPV4,
                new Security.Generated());
    }

    /**
     * How the gateways' gRPC is secured: mutual TLS with a CA and certificates made for the run
     * (gateway i's: DNS SAN gw<i>, IP SAN its loopback address), mutual TLS with given material, or
     * plaintext (callers authorised by their source address).
     */
    private sealed interface Security {
        record Generated() implements Security {
        }

        record Given(IntFunction<GrpcTls> tls) implements Security {
        }

        record Plaintext() implements Security {
        }
    }

    /** What each gateway's data plane is: the soft one on the ports a factory opens, or one with no packet path at all. */
    private sealed interface Plane {
        record Soft(PortFactory ports, IntFunction<SoftDataplaneSettings> settings) implements Plane {
        }

        record Recording() implements Plane {
        }
    }

    /**
     * {@code n} gateways (tunnel files) on {@link RecordingDataplane}s: a control plane and its gRPC
     * service with nothing underneath to move packets, for tests that need none. Members have no host.
     */
    public static LocalCluster startWithoutPackets(int n, int vipsPerGateway) throws Exception {
        return start(n, vipsPerGateway, new Plane.Recording(), ConfigFactory.empty(), Join.FILES, Decorator.NONE, Underlay.IPV4,
                new Security.Generated());
    }

    private static LocalCluster start(int n, int vipsPerGateway, Plane plane, Config overrides, Join join, Decorator decorator,
                                      Underlay underlay, Security security)
            throws Exception {
        LocalCluster c = new LocalCluster();
        try {
            int[] grpcPorts = freePorts(n);
            boolean clustered = join == Join.SEEDS || join == Join.BOOTSTRAP;
            c.joinsBySeeds = join == Join.SEEDS;
            int[] arteryPorts = clustered ? freePorts(n) : new int[0];
            int[] managementPorts = join == Join.BOOTSTRAP ? freePorts(n) : new int[0];
            StringBuilder contactPoints = new StringBuilder();
            for (int j = 0; j < managementPorts.length; j++) {
                contactPoints.append(contactPoints.isEmpty() ? "" : ", ").append("{ host = \"").append(IpText.of(underlay.loopback(j)))
                        .append("\", port = ").append(managementPorts[j]).append(" }");
            }
            Config config = overrides.withFallback(ConfigFactory.load());
            for (int i = 0; i < n; i++) {
                int index = i;
                InetAddress phys = underlay.physical(i);
                InetAddress vip = address("10." + (i + 1) + ".0.1");
                StringBuilder json = new StringBuilder("{ \"config\": { \"local-grpc-address\": \""
                        + IpText.of(new InetSocketAddress(underlay.loopback(i), grpcPorts[i])) + "\" },\n  \"peers\": [\n");
                for (int j = 0; j < n; j++) {
                    if (j != i && !clustered) {
                        json.append("    { \"remote-grpc-address\": \"").append(IpText.of(new InetSocketAddress(underlay.loopback(j), grpcPorts[j])))
                                .append("\", \"sessions\": [ { \"local-vip\": \"")
                                .append(IpText.of(vip)).append("\", \"remote-vips\": [ \"").append(servedPrefix(j, vipsPerGateway)).append("\" ] } ] },\n");
                    }
                }
                String text = json.toString().replaceAll(",\n$", "\n") + "  ]\n}\n";
                TunnelConfig tunnels = TunnelConfig.parse(text, "gateway-" + i + ".json");
                Set<InetAddress> vips = new HashSet<>();
                for (int h = 1; h <= vipsPerGateway; h++) {
                    vips.add(vipOf(i, h));
                }
                Config nodeConfig = config;
                Optional<ClusterMembership> membership = Optional.empty();
                if (clustered) {
                    String joining = join == Join.SEEDS
                            ? ""
                            : "pspgw.cluster.join = bootstrap\npekko.management.http.port = " + managementPorts[i]
                                    + "\npekko.management.http.hostname = \"" + IpText.of(underlay.loopback(i)) + "\""
                                    + "\npekko.discovery.config.services.pspgw.endpoints = [" + contactPoints + "]"
                                    + "\npekko.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr = " + n;
                    nodeConfig = ClusterMembership.config(ConfigFactory.parseString(joining).withFallback(overrides));
                    membership = Optional.of(new ClusterMembership("gw" + i, VipPrefixes.parse(List.of(servedPrefix(i, vipsPerGateway)))));
                    c.artery.add(new InetSocketAddress(underlay.loopback(i), arteryPorts[i]));
                }
                GatewaySettings settings = new GatewaySettings(tunnels.localGrpc(), phys, "", vips, PspVersion.V1,
                        GatewaySettings.defaultCryptOffset(PspMode.TUNNEL, false, false), OptionalLong.empty(), PspMode.TUNNEL, join == Join.FILES_STATIC, tunnels,
                        ControlSettings.from(nodeConfig), membership, c.tlsFor(i, underlay.loopback(i), security), false);
                Config baseConfig = nodeConfig;
                Launcher launcher = cluster -> {
                    Config finalConfig = cluster.withFallback(baseConfig);
                    if (plane instanceof Plane.Soft soft) {
                        PacketPort[] opened = soft.ports().open(index, phys, c);
                        SoftDataplane dp = new SoftDataplane(soft.settings().apply(index), decorator.port(index, opened[0]),
                                decorator.port(index, opened[1]));
                        dp.start();
                        return new Member(index, "gw" + index, phys, vip, (MemoryPort) opened[2], dp, dp,
                                startNode(index, settings, decorator.dataplane(index, dp), finalConfig, decorator));
                    }
                    RecordingDataplane dp = new RecordingDataplane(SoftDataplaneSettings.defaults().keySlots());
                    return new Member(index, "gw" + index, phys, vip, null, dp, dp,
                            startNode(index, settings, decorator.dataplane(index, dp), finalConfig, decorator));
                };
                c.launchers.add(launcher);
                c.members.add(launcher.launch(join == Join.SEEDS ? c.clusterAt(i, List.of(c.artery.getFirst()))
                        : clustered ? c.clusterAt(i, List.of()) : ConfigFactory.empty()));
            }
            return c;
        } catch (Exception e) {
            c.close();
            throw e;
        }
    }

    private static GatewayNode startNode(int index, GatewaySettings settings, DataplaneOps dataplane, Config config,
                                         Decorator decorator) throws Exception {
        return GatewayNode.start("gw" + index, settings, dataplane, config, service -> decorator.service(index, service),
                decorator.actors(index));
    }

    private static int[] freePorts(int n) throws IOException {
        int[] ports = new int[n];
        for (int i = 0; i < n; i++) {
            try (ServerSocket s = new ServerSocket(0)) {
                ports[i] = s.getLocalPort();
            }
        }
        return ports;
    }

    /** {@code n} gateways with 3 VIPs each and default settings. */
    public static LocalCluster start(int n) throws Exception {
        return start(n, 3, i -> SoftDataplaneSettings.defaults(), ConfigFactory.empty());
    }

    private Optional<GrpcTls> tlsFor(int i, InetAddress loopback, Security security) throws Exception {
        Optional<GrpcTls> material = switch (security) {
            case Security.Generated g -> {
                // a member may announce any VIP of this test network: tests move VIPs between gateways
                Certificates.Issued own = Certificates.issue(authority, "gw" + i, List.of(loopback), List.of(TEST_VIPS), Duration.ofDays(1));
                generated.put("gw" + i, own);
                yield Optional.of(material(own));
            }
            case Security.Given g -> Optional.of(g.tls().apply(i));
            case Security.Plaintext p -> Optional.empty();
        };
        tls.add(material);
        return material;
    }

    /** The VIPs of every gateway here (10.(i+1).x.y), which each generated certificate allows its member to announce. */
    public static final String TEST_VIPS = "10.0.0.0/8";

    /** The CA every generated certificate of this cluster chains to (tests issue their own with it). */
    public Certificates.Issued authority() {
        return authority;
    }

    /** A certificate from this cluster's CA for gateway id (DNS SAN) {@code name} and {@code addresses}. */
    public Certificates.Issued issue(String name, List<InetAddress> addresses, Duration validity) {
        return Certificates.issue(authority, name, addresses, validity);
    }

    /** TLS material presenting {@code issued} and trusting this cluster's CA. */
    public GrpcTls material(Certificates.Issued issued) throws GeneralSecurityException {
        return GrpcTls.of(List.of(authority.certificate()), List.of(issued.certificate()), issued.key());
    }

    /**
     * Writes the CA certificate ({@code ca.pem}) and each generated gateway certificate and key
     * ({@code gwN.pem}, {@code gwN-key.pem}, 0600) into {@code dir}, as {@code pspgw certs} would.
     */
    public void writeCertificates(Path dir) throws IOException {
        Files.createDirectories(dir);
        Certificates.writeNew(dir.resolve("ca.pem"), Certificates.pem(authority.certificate()), false);
        for (Map.Entry<String, Certificates.Issued> e : generated.entrySet()) {
            Certificates.write(e.getValue(), dir.resolve(e.getKey() + ".pem"), dir.resolve(e.getKey() + "-key.pem"));
        }
    }

    /** Gateway i's TLS material; empty when its gRPC runs in plaintext. */
    public Optional<GrpcTls> tls(int i) {
        return tls.get(i);
    }

    public Member get(int i) {
        return members.get(i);
    }

    public int size() {
        return members.size();
    }

    public List<Member> members() {
        return List.copyOf(members);
    }

    /**
     * Starts gateway {@code i} again — same gateway id, physical and gRPC addresses, a fresh data
     * plane (new master keys) and ActorSystem: a new incarnation. Its node must have been closed.
     */
    public Member restart(int i) throws Exception {
        network.detach(members.get(i).physical());
        Config cluster = ConfigFactory.empty();
        if (!artery.isEmpty()) {
            // the crashed system may still hold its Artery port (Pekko 1.2 can wait without end for its
            // TLS streams, apache/pekko#3247): the new incarnation listens on the same host, another port,
            // and joins through the others
            InetSocketAddress old = artery.get(i);
            artery.set(i, new InetSocketAddress(old.getAddress(), freePorts(1)[0]));
            List<InetSocketAddress> others = new ArrayList<>(artery);
            others.remove(i);
            cluster = clusterAt(i, joinsBySeeds ? others : List.of());
        }
        Member again = launchers.get(i).launch(cluster);
        members.set(i, again);
        return again;
    }

    /** Gateway i's Artery address and, when it joins by seed nodes, the seeds it joins through. */
    private Config clusterAt(int i, List<InetSocketAddress> seeds) {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("pekko.remote.artery.canonical.hostname", IpText.of(artery.get(i).getAddress()));
        values.put("pekko.remote.artery.canonical.port", artery.get(i).getPort());
        if (!seeds.isEmpty()) {
            values.put("pekko.cluster.seed-nodes",
                    seeds.stream().map(a -> "pekko://" + ClusterMembership.SYSTEM_NAME + "@" + IpText.of(a)).toList());
        }
        return ConfigFactory.parseMap(values);
    }

    /** Waits until every gateway sees all the others in its cluster view; fails after {@code millis}. */
    public void awaitClusterViews(long millis) throws Exception {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        for (Member m : members) {
            while (m.node().clusterGateways().size() < members.size() - 1) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(m.name() + " sees " + m.node().clusterGateways() + " of the "
                            + (members.size() - 1) + " other gateways after " + millis + " ms");
                }
                Thread.sleep(50);
            }
        }
    }

    public MemoryNetwork network() {
        return network;
    }

    public InetSocketAddress grpc(int i) {
        return members.get(i).node().grpcAddress();
    }

    @Override
    public void close() {
        for (Member m : members.reversed()) {
            m.node().close();
        }
        network.close();
    }
}
