package io.pspgateway.cli;

import com.typesafe.config.ConfigFactory;
import io.pspgateway.control.GatewayStats;
import io.pspgateway.control.LocalCluster;
import io.pspgateway.dataplane.DataplaneCounters;
import io.pspgateway.dataplane.EntryCounters;
import io.pspgateway.dataplane.FlowKey;
import io.pspgateway.dataplane.soft.SoftDataplaneSettings;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pspgw demo}: three gateways in this process, on the software data plane with in-memory
 * ports, talking the DOCA gRPC protocol over loopback. It sends traffic between their VIPs and
 * narrates what happens: the first packet misses, one request sets the tunnel up, the held
 * packets arrive in order, the way back needs no request, and a burst of new destinations costs
 * few gRPC calls. Then it prints the counters and stops everything.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Start three gateways in this process and watch PSP tunnels come up on demand.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--burst", defaultValue = "200", paramLabel = "N",
            description = "Distinct destination VIPs per peer in the burst step (1-250). Default: ${DEFAULT-VALUE}")
    int burst;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (burst < 1 || burst > 250) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--burst must be 1-250, got " + burst);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println("Starting 3 gateways in this process (software data plane, in-memory network, gRPC on loopback)...");
        out.flush();
        try (LocalCluster c = LocalCluster.start(3, 250, i -> SoftDataplaneSettings.defaults().withKeySlots(1024),
                ConfigFactory.empty())) {
            for (int i = 0; i < c.size(); i++) {
                LocalCluster.Member m = c.get(i);
                out.printf("  %s: physical %s, VIPs %s-%s, gRPC %s%n", m.name(), m.physical().getHostAddress(),
                        m.vip(1).getHostAddress(), m.vip(250).getHostAddress(), c.grpc(i));
            }
            LocalCluster.Member a = c.get(0);
            LocalCluster.Member b = c.get(1);
            LocalCluster.Member gw2 = c.get(2);
            boolean ok = true;

            out.printf("%n1. %s sends 10 packets to %s. No tunnel exists: the first packet misses the encrypt table.%n",
                    a.vip().getHostAddress(), b.vip().getHostAddress());
            long t0 = System.nanoTime();
            for (int seq = 0; seq < 10; seq++) {
                a.host().send(LocalCluster.packet(a.vip(), b.vip(), seq));
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
                inOrder += LocalCluster.sequence(p) == seq ? 1 : 0;
            }
            out.printf("   tunnel up after %.1f ms; %d gRPC call(s); %d/10 packets delivered in order, none lost%n",
                    (firstAt - t0) / 1e6, a.node().stats().grpcCalls(), inOrder);
            ok &= inOrder == 10;

            out.printf("%n2. %s answers. %s handed %s its return parameters in the same request (reverse_params),%n"
                    + "   so this needs no request at all.%n", b.vip().getHostAddress(), a.name(), b.name());
            b.host().send(LocalCluster.packet(b.vip(), a.vip(), 99));
            byte[] back = a.host().take(10_000);
            out.printf("   delivered: %s; gRPC calls made by %s: %d%n", back != null && LocalCluster.sequence(back) == 99,
                    b.name(), b.node().stats().grpcCalls());
            ok &= back != null;

            out.printf("%n3. A burst: %s sends one packet to each of %d VIPs behind %s and %d behind %s at once.%n",
                    a.name(), burst, b.name(), burst, gw2.name());
            long callsBefore = a.node().stats().grpcCalls();
            long burstStart = System.nanoTime();
            for (int h = 1; h <= burst; h++) {
                a.host().send(LocalCluster.packet(a.vip(), b.vip(h), h));
                a.host().send(LocalCluster.packet(a.vip(), gw2.vip(h), h));
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
            out.printf("   Session Egress (%s -> %s): %d hits%n", a.vip().getHostAddress(), b.vip().getHostAddress(),
                    first == null ? 0 : first.packets());
            for (int i = 0; i < c.size(); i++) {
                LocalCluster.Member m = c.get(i);
                DataplaneCounters d = m.dataplane().counters();
                GatewayStats s = m.node().stats();
                out.printf("   %s: tx %d / rx %d packets, auth failures %d, drops %d; tunnels up %d; held %d, re-injected %d,"
                                + " dropped %d; crypto slots in use %d%n", m.name(), d.txPackets(), d.rxPackets(), d.rxAuthFail(),
                        d.droppedTotal(), s.tunnelsUp(), s.held(), s.delivered(), s.droppedTotal(), m.node().slotsInUse());
            }
            out.printf("   %s%n   %s%n", a.node().perf().keyGenLine(), b.node().perf().insertionLine());
            out.println();
            out.println(ok ? "Demo finished: every packet arrived. Stopping the gateways." : "DEMO FAILED: packets were lost (see above).");
            out.flush();
            return ok ? 0 : 1;
        }
    }

}
