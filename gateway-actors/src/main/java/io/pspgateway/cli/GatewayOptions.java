package io.pspgateway.cli;

import io.pspgateway.psp.PspMode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The DOCA PSP Gateway's flags, with its names and defaults, plus the few this project needs
 * because a software gateway has no PCI device to take them from ({@code --uplink-ip},
 * {@code --udp-port}, {@code --local-vip}).
 */
final class GatewayOptions {
    enum IpType { ipv4, ipv6 }

    enum PerfPrint { key_gen, insertion, all }

    /** The data plane backends: soft (pure Java, TUN + UDP) and doca (DOCA Flow on a BlueField or ConnectX). */
    enum BackendKind { soft, doca }

    @Option(names = "--backend", paramLabel = "soft|doca", defaultValue = "soft",
            description = "The data plane: soft (TUN + UDP, any Linux host) or doca (DOCA Flow on a BlueField-3 / ConnectX-7; "
                    + "not built yet). Default: ${DEFAULT-VALUE}")
    BackendKind backend;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Print this help and exit.")
    boolean help;

    @Option(names = {"-v", "--version"}, versionHelp = true, description = "Print the version and exit.")
    boolean version;

    @Option(names = {"-p", "--pci-addr"}, paramLabel = "BDF", description = "PCI address of the device (DOCA only; ignored by the soft backend).")
    String pciAddr;

    @Option(names = {"-r", "--repr"}, paramLabel = "LIST", description = "Device representors (DOCA only; ignored by the soft backend).")
    String repr;

    @Option(names = {"-m", "--core-mask"}, paramLabel = "MASK", description = "EAL core mask (DOCA only; ignored by the soft backend).")
    String coreMask;

    @Option(names = "--decap-dmac", paramLabel = "MAC", description = "Destination MAC of decapsulated packets (L2 ports only; the TUN device is L3).")
    String decapDmac;

    @Option(names = {"-d", "--vf-name"}, paramLabel = "NAME", defaultValue = "psp0",
            description = "The unsecured port: for the soft backend, the TUN device to create or attach (not used by --backend doca, "
                    + "whose unsecured port is the VF representor -r names). Default: ${DEFAULT-VALUE}")
    String vfName;

    @Option(names = {"-n", "--nexthop-dmac"}, paramLabel = "MAC", description = "Next-hop MAC of encapsulated packets (L2 ports only; the kernel routes UDP here).")
    String nexthopDmac;

    @Option(names = "--cookie", description = "Use PSP virtualization cookies.")
    boolean cookie;

    @Option(names = {"-a", "--disable-ingress-acl"}, description = "Deliver any ingress packet that decrypts, whatever its VIPs.")
    boolean disableIngressAcl;

    @Option(names = "--sample-rate", paramLabel = "N", defaultValue = "0",
            description = "Sample 1 in 2^N packets (S bit, mirrored to the slow path); 0 disables. Default: ${DEFAULT-VALUE}")
    int sampleRate;

    @Option(names = {"-x", "--max-tunnels"}, paramLabel = "N", defaultValue = "256",
            description = "Most tunnels (crypto slots) at once. Default: ${DEFAULT-VALUE}")
    int maxTunnels;

    @Option(names = {"-o", "--crypt-offset"}, paramLabel = "WORDS",
            description = "PSP crypt offset in 4-byte words (0-63). Default: tunnel mode 5 for IPv4 inner packets, 10 for IPv6 (the inner IP header stays readable); transport mode 0; +2 with --cookie.")
    Integer cryptOffset;

    @Option(names = "--psp-version", paramLabel = "0|1", defaultValue = "1",
            description = "PSP version for outgoing tunnels: 0 (AES-GCM-128) or 1 (AES-GCM-256). Default: ${DEFAULT-VALUE}")
    int pspVersion;

    @Option(names = {"-z", "--static-tunnels"}, description = "Set up every tunnel of the config file at start-up instead of on demand.")
    boolean staticTunnels;

    @Option(names = {"-k", "--debug-keys"}, description = "Print SPIs and keys at debug level as they are minted and programmed "
            + "(-l 60; never in production: whoever reads the log can decrypt the traffic).")
    boolean debugKeys;

    @Option(names = "--stat-print", description = "Print counters every second when they change.")
    boolean statPrint;

    @Option(names = "--perf-print", paramLabel = "key-gen|insertion|all", converter = PerfPrintConverter.class,
            description = "Print key-generation and/or insertion rates.")
    PerfPrint perfPrint;

    @Option(names = "--show-rss-rx-packets", description = "Log every packet that reaches the slow path.")
    boolean showRssRxPackets;

    @Option(names = "--outer-ip-type", paramLabel = "ipv4|ipv6", defaultValue = "ipv6",
            description = "Outer (physical) IP version; must match --uplink-ip. Default: ${DEFAULT-VALUE}")
    IpType outerIpType;

    @Option(names = "--inner-ip-type", paramLabel = "ipv4|ipv6", defaultValue = "ipv4",
            description = "Inner (VIP) IP version. Default: ${DEFAULT-VALUE}")
    IpType innerIpType;

    @Option(names = "--mode", paramLabel = "tunnel|transport", defaultValue = "tunnel",
            description = "PSP encapsulation mode. Default: ${DEFAULT-VALUE}")
    PspMode mode;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "The tunnel file (JSON): local gRPC address, peers, VIP pairs; IPv6 addresses with a port in brackets, "
            + "[2001:db8::1]:3000.")
    Path config;

    @Option(names = "--maintain-order", description = "Keep packet order when sampling (the soft pipeline always does).")
    boolean maintainOrder;

    @Option(names = {"-l", "--log-level"}, paramLabel = "N", defaultValue = "50",
            description = "Log level: 10 disable, 20 critical, 30 error, 40 warning, 50 info, 60 debug, 70 trace. Default: ${DEFAULT-VALUE}")
    int logLevel;

    @Option(names = "--sdk-log-level", paramLabel = "N", defaultValue = "40",
            description = "Log level of the libraries underneath (Pekko, gRPC), same scale. Default: ${DEFAULT-VALUE}")
    int sdkLogLevel;

    @Option(names = {"-j", "--json"}, paramLabel = "FILE", description = "Read flags from a JSON object of long flag names (expanded before parsing).")
    Path json;

    @Option(names = "--uplink-ip", paramLabel = "ADDRESS",
            description = "This gateway's physical address: where peers send PSP, and the UDP socket's address. Required to run "
                    + "the soft backend; with --backend doca it is the device's own (-p), and if given must be that.")
    String uplinkIp;

    @Option(names = "--udp-port", paramLabel = "PORT", defaultValue = "1000", description = "PSP's UDP port (soft backend; the NIC uses 1000, PSP's port). Default: ${DEFAULT-VALUE}")
    int udpPort;

    @Option(names = "--local-vip", paramLabel = "ADDRESS", description = "A VIP served here, besides the config file's local-vip entries (repeatable).")
    List<String> localVips = new ArrayList<>();

    @Option(names = "--tls-ca", paramLabel = "FILE",
            description = "PEM file of the CA whose certificates peers must present (gRPC over mutual TLS, with --tls-cert "
                    + "and --tls-key: required unless --insecure-plaintext). Make them with: pspgw certs.")
    java.nio.file.Path tlsCa;

    @Option(names = "--tls-cert", paramLabel = "FILE",
            description = "PEM file of this gateway's certificate (its chain may follow); its IP SANs must be the addresses peers dial.")
    java.nio.file.Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "PEM file of this gateway's unencrypted PKCS#8 key (keep it 0600).")
    java.nio.file.Path tlsKey;

    @Option(names = "--insecure-plaintext",
            description = "Run gRPC in plaintext, as the original DOCA gateway does (to interoperate with one): tunnel keys cross "
                    + "the network in the clear, and a caller is trusted by its source address alone.")
    boolean insecurePlaintext;

    @Option(names = "--cluster-port", paramLabel = "PORT",
            description = "Join a cluster of gateways: the Pekko Artery port on --uplink-ip. Peers and VIPs are then discovered.")
    Integer clusterPort;

    @Option(names = "--cluster-seed", paramLabel = "IP:PORT",
            description = "A seed member's Artery address, e.g. 198.51.100.1:25520 or [2001:db8::1]:25520 (repeatable; "
                    + "every member names the same seeds).")
    List<String> clusterSeeds = new ArrayList<>();

    @Option(names = "--cluster-bootstrap", paramLabel = "IP:PORT",
            description = "Instead of seeds, form or join the cluster with Pekko Cluster Bootstrap: the management address of "
                    + "each gateway that may form it, e.g. [2001:db8::1]:7626 (repeatable; every member names the same list, all must answer before a "
                    + "new cluster forms).")
    List<String> clusterBootstrap = new ArrayList<>();

    @Option(names = "--management-port", paramLabel = "PORT", defaultValue = "7626",
            description = "Port of Pekko Management (HTTP, on --uplink-ip) that Cluster Bootstrap probes. Default: ${DEFAULT-VALUE}")
    int managementPort;

    @Option(names = "--gateway-id", paramLabel = "NAME", description = "This gateway's name in the cluster. Default: its uplink address.")
    String gatewayId;

    @Option(names = "--vip-prefix", paramLabel = "PREFIX",
            description = "A VIP prefix to announce to the cluster (repeatable). Default: each local VIP as a /32 or /128.")
    List<String> vipPrefixes = new ArrayList<>();

    /** picocli maps "key-gen" to the enum constant key_gen. */
    static final class PerfPrintConverter implements picocli.CommandLine.ITypeConverter<PerfPrint> {
        @Override
        public PerfPrint convert(String value) {
            return switch (value) {
                case "key-gen" -> PerfPrint.key_gen;
                case "insertion" -> PerfPrint.insertion;
                case "all" -> PerfPrint.all;
                default -> throw new picocli.CommandLine.TypeConversionException("'" + value + "' is not key-gen, insertion or all");
            };
        }
    }
}
