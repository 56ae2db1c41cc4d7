package io.pspgateway.cli;

import com.typesafe.config.ConfigFactory;
import io.pspgateway.control.GatewayStats;
import io.pspgateway.control.LocalCluster;
import io.pspgateway.dataplane.DataplaneCounters;
import io.pspgateway.dataplane.EntryCounters;
import io.pspgateway.dataplane.FlowKey;
import io.pspgateway.dataplane.port.PacketPort;
import io.pspgateway.dataplane.port.linux.NetworkNamespace;
import io.pspgateway.dataplane.port.linux.TunPort;
import io.pspgateway.dataplane.port.linux.UdpPort;
import io.pspgateway.dataplane.soft.SoftDataplaneSettings;
import io.pspgateway.netns.NamespaceNetwork;
import io.pspgateway.psp.InnerPackets;
import io.pspgateway.psp.IpText;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.function.IntFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code pspgw demo}: three gateways in this process, talking the DOCA gRPC protocol over
 * loopback. As root (with iproute2 and ping) each gateway's data plane lives in a network
 * namespace of its own, with a TUN device and a UDP/1000 socket on a shared bridge, and real
 * pings cross the tunnels; otherwise the data planes use in-memory ports and the demo plays the
 * hosts. Either way it narrates what happens: the first packet misses, one request sets the
 * tunnel up, the held packets arrive in order, the way back needs no request; then the counters,
 * and everything is stopped and removed.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Start three gateways in this process and watch PSP tunnels come up on demand.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--burst", defaultValue = "200", paramLabel = "N",
            description = "Distinct destination VIPs per peer in the burst step (1-250). Default: ${DEFAULT-VALUE}")
    int burst;

    @Option(names = "--in-memory", description = "Use in-memory ports even when network namespaces are available.")
    boolean inMemory;

    @Option(names = "--cluster", description = "In-memory gateways that find each other through a Pekko Cluster "
            + "(no peer lists) instead of tunnel files.")
    boolean cluster;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (burst < 1 || burst > 250) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--burst must be 1-250, got " + burst);
        }
        PrintWriter out = spec.commandLine().getOut();
        String why = NamespaceNetwork.unavailableBecause("ip", "ping");
        if (!inMemory && !cluster && why.isEmpty()) {
            return inNamespaces(out);
        }
        if (!inMemory && !cluster) {
            out.println("(Network namespaces unavailable: " + why + ". Using in-memory ports.)");
        }
        return inMemory(out);
    }

    /** gRPC between the demo's gateways runs over mutual TLS, as in production: says with which certificates. */
    private static void describeTrust(PrintWriter out, LocalCluster c) throws IOException {
        Path dir = Files.createTempDirectory("pspgw-demo-certs-");
        c.writeCertificates(dir);
        out.printf("  gRPC between the gateways: mutual TLS, with a CA and a certificate per gateway made for this run in %s%n"
                + "  (what pspgw certs ca / pspgw certs issue make for a real deployment)%n", dir);
    }

    private int inNamespaces(PrintWriter out) throws Exception {
        out.println("Starting 3 gateways: each data plane in a network namespace of its own (TUN psp0, PSP on UDP/1000");
        out.println("over a bridge), the control planes in this process (gRPC on loopback)...");
        out.flush();
        try (NamespaceNetwork net = NamespaceNetwork.create(3);
             LocalCluster c = LocalCluster.start(3, 1, i -> SoftDataplaneSettings.defaults(), ConfigFactory.empty(),
                     (i, physical, cluster) -> {
                         NetworkNamespace ns = NetworkNamespace.named(net.namespace(i));
                         TunPort tun = ns.call(() -> TunPort.open("psp0"));
                         UdpPort udp = ns.call(() -> UdpPort.bind(new InetSocketAddress(physical, 1000),
                                 SoftDataplaneSettings.defaults().batchSize()));
                         return new PacketPort[] {tun, udp, null};
                     })) {
            describeTrust(out, c);
            for (int i = 0; i < c.size(); i++) {
                String ns = net.namespace(i);
                String vip = IpText.of(c.get(i).vip());
                NamespaceNetwork.run("ip", "-n", ns, "addr", "add", vip + "/32", "dev", "psp0");
                NamespaceNetwork.run("ip", "-n", ns, "link", "set", "psp0", "mtu", "1440", "up");
                NamespaceNetwork.run("ip", "-n", ns, "route", "add", "10.0.0.0/8", "dev", "psp0");
                out.printf("  %s: namespace %s, physical %s, VIP %s on psp0, gRPC %s%n", c.get(i).name(), ns,
                        IpText.of(c.get(i).physical()), vip, c.grpc(i));
            }
            boolean ok = true;
            int[][] pings = {{0, 1}, {1, 0}, {0, 2}, {2, 1}};
            String[] story = {
                    "the first packet misses; one gRPC request sets the tunnel up; the held packet goes out",
                    "the way back: gw0 handed gw1 its return parameters (reverse_params), so no request at all",
                    "a second peer, a second tunnel",
                    "and between the two others"};
            for (int k = 0; k < pings.length; k++) {
                LocalCluster.Member from = c.get(pings[k][0]);
                LocalCluster.Member to = c.get(pings[k][1]);
                out.printf("%n%d. ping %s -> %s: %s%n", k + 1, IpText.of(from.vip()), IpText.of(to.vip()), story[k]);
                String result;
                try {
                    result = net.exec(pings[k][0], "ping", "-c", "3", "-i", "0.3", "-W", "10", IpText.of(to.vip()));
                } catch (IOException e) {
                    result = e.getMessage();
                    ok = false;
                }
                result.lines().filter(l -> l.contains("time=") || l.contains("received")).forEach(l -> out.println("   " + l.strip()));
                ok &= result.contains("3 received");
                out.flush();
            }
            out.printf("%n5. Counters%n");
            counters(out, c);
            out.println();
            out.println(ok ? "Demo finished: every ping was answered through PSP tunnels. Removing the namespaces."
                    : "DEMO FAILED: pings were lost (see above).");
            out.flush();
            return ok ? 0 : 1;
        }
    }

    private static void counters(PrintWriter out, LocalCluster c) throws Exception {
        for (int i = 0; i < c.size(); i++) {
            LocalCluster.Member m = c.get(i);
            DataplaneCounters d = m.dataplane().counters();
            GatewayStats s = m.node().stats();
            out.printf("   %s: tx %d / rx %d packets, auth failures %d, drops %d; tunnels up %d; held %d, re-injected %d,"
                            + " dropped %d; crypto slots in use %d%n", m.name(), d.txPackets(), d.rxPackets(), d.rxAuthFail(),
                    d.droppedTotal(), s.tunnelsUp(), s.held(), s.delivered(), s.droppedTotal(), m.node().slotsInUse());
        }
    }

    private int inMemory(PrintWriter out) throws Exception {
        out.println("Starting 3 gateways in this process (software data plane, in-memory network, gRPC on loopback"
                + (cluster ? ", found through a Pekko Cluster: their tunnel files name no peers" : "") + ")...");
        out.flush();
        IntFunction<SoftDataplaneSettings> slots = i -> SoftDataplaneSettings.defaults().withKeySlots(1024);
        try (LocalCluster c = cluster
                ? LocalCluster.startClustered(3, 250, slots, ConfigFactory.empty())
                : LocalCluster.start(3, 250, slots, ConfigFactory.empty())) {
            if (cluster) {
                long t0 = System.nanoTime();
                for (int i = 0; i < c.size(); i++) {
                    while (c.get(i).node().clusterGateways().size() < c.size() - 1) {
                        if (System.nanoTime() - t0 > 30_000_000_000L) {
                            out.println("DEMO FAILED: the gateways did not discover each other within 30 s");
                            return 1;
                        }
                        Thread.sleep(50);
                    }
                }
                out.printf("  discovery: every gateway knows the other two and their VIP prefixes after %.1f s%n",
                        (System.nanoTime() - t0) / 1e9);
            }
            describeTrust(out, c);
            for (int i = 0; i < c.size(); i++) {
                LocalCluster.Member m = c.get(i);
                out.printf("  %s: physical %s, VIPs %s-%s, gRPC %s%n", m.name(), IpText.of(m.physical()),
                        IpText.of(m.vip(1)), IpText.of(m.vip(250)), c.grpc(i));
            }
            LocalCluster.Member a = c.get(0);
            LocalCluster.Member b = c.get(1);
            LocalCluster.Member gw2 = c.get(2);
            boolean ok = true;

            out.printf("%n1. %s sends 10 packets to %s. No tunnel exists: the first packet misses the encrypt table.%n",
                    IpText.of(a.vip()), IpText.of(b.vip()));
            long t0 = System.nanoTime();
            for (int seq = 0; seq < 10; seq++) {
                a.host().send(InnerPackets.udp(a.vip(), b.vip(), seq));
            }
            int inOrder = 0;
            long firstAt = 0;
            for (int seq = 0; seq < 10; seq++) {
                byte[] p = b.host().take(seq == 0 ? 10_000 : 1_000);
                if (p == null) {
                    break;
                }
                if (seq == 0) {
                    firstAt = System.nanoTime();
                }
                inOrder += InnerPackets.sequence(p) == seq ? 1 : 0;
            }
            out.printf("   tunnel up after %.1f ms; %d gRPC call(s); %d/10 packets delivered in order, none lost%n",
                    (firstAt - t0) / 1e6, a.node().stats().grpcCalls(), inOrder);
            ok &= inOrder == 10;

            out.printf("%n2. %s answers. %s handed %s its return parameters in the same request (reverse_params),%n"
                    + "   so this needs no request at all.%n", IpText.of(b.vip()), a.name(), b.name());
            b.host().send(InnerPackets.udp(b.vip(), a.vip(), 99));
            byte[] back = a.host().take(10_000);
            out.printf("   delivered: %s; gRPC calls made by %s: %d%n", back != null && InnerPackets.sequence(back) == 99,
                    b.name(), b.node().stats().grpcCalls());
            ok &= back != null;

            out.printf("%n3. A burst: %s sends one packet to each of %d VIPs behind %s and %d behind %s at once.%n",
                    a.name(), burst, b.name(), burst, gw2.name());
            long callsBefore = a.node().stats().grpcCalls();
            long burstStart = System.nanoTime();
            for (int h = 1; h <= burst; h++) {
                a.host().send(InnerPackets.udp(a.vip(), b.vip(h), h));
                a.host().send(InnerPackets.udp(a.vip(), gw2.vip(h), h));
            }
            int delivered = 0;
            long deadline = System.nanoTime() + 15_000_000_000L;
            for (LocalCluster.Member to : new LocalCluster.Member[] {b, gw2}) {
                for (int i = 0; i < burst && System.nanoTime() < deadline; i++) {
                    delivered += to.host().take(Math.max(1, (deadline - System.nanoTime()) / 1_000_000)) != null ? 1 : 0;
                }
            }
            double burstMs = (System.nanoTime() - burstStart) / 1e6;
            long calls = a.node().stats().grpcCalls() - callsBefore;
            out.printf("   %d/%d delivered in %.0f ms: %d new tunnels from %d gRPC call(s) (requests are coalesced per peer)%n",
                    delivered, 2 * burst, burstMs, a.node().stats().tunnelsUp() - 1, calls);
            ok &= delivered == 2 * burst;

            out.printf("%n4. Counters%n");
            EntryCounters first = a.dataplane().encryptEntryCounters(FlowKey.of(a.vip(), b.vip()));
            out.printf("   Session Egress (%s -> %s): %d hits%n", IpText.of(a.vip()), IpText.of(b.vip()),
                    first == null ? 0 : first.packets());
            counters(out, c);
            out.printf("   %s%n   %s%n", a.node().perf().keyGenLine(), b.node().perf().insertionLine());
            out.println();
            out.println(ok ? "Demo finished: every packet arrived. Stopping the gateways." : "DEMO FAILED: packets were lost (see above).");
            out.flush();
            return ok ? 0 : 1;
        }
    }

}
