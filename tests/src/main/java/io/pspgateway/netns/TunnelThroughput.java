package io.pspgateway.netns;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pspgateway.dataplane.soft.SoftDataplaneSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Throughput through the kernel, all in one run on the same two namespaces: the bare veth, our
 * PSP tunnel (soft data plane, TUN + UDP/1000, both gateways in this JVM), and wireguard-go (the
 * userspace VPN a user would pick instead). iperf3 TCP and UDP per variant; packets counted on the
 * tunnel interfaces, CPU taken from the processes doing the tunnelling. Prints a markdown table.
 * Usage: TunnelThroughput [seconds per run] (default 5). Needs root and scripts/install-test-tools --bench.
 */
public final class TunnelThroughput {
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Run(String variant, double tcpBits, double udpBits, double udpLossPercent, long packets,
                       double seconds, double cpuSeconds) {
        double packetsPerSecond() {
            return packets / seconds;
        }

        /** CPU microseconds per packet, or NaN where the kernel does the work (veth). */
        double cpuMicrosPerPacket() {
            return cpuSeconds < 0 ? Double.NaN : cpuSeconds * 1e6 / packets;
        }
    }

    private TunnelThroughput() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        String why = TwoNamespaces.unavailableBecause("ip", "iperf3", "wireguard-go", "wg");
        if (!why.isEmpty()) {
            System.err.println("cannot run: " + why);
            System.exit(2);
        }
        List<Run> runs = new ArrayList<>();
        runs.add(veth(seconds));
        runs.add(psp(seconds));
        runs.add(wireguard(seconds));
        Run wg = runs.get(2);
        System.out.printf("| path | TCP Gbit/s | vs wireguard-go | UDP Gbit/s (loss) | packets/s (TCP run) | CPU µs/packet |%n");
        System.out.printf("|---|---|---|---|---|---|%n");
        for (Run r : runs) {
            System.out.printf(Locale.ROOT, "| %s | %.2f | %.2f× | %.2f (%.1f %%) | %,.0f | %s |%n", r.variant(), r.tcpBits() / 1e9,
                    r.tcpBits() / wg.tcpBits(), r.udpBits() / 1e9, r.udpLossPercent(), r.packetsPerSecond(),
                    Double.isNaN(r.cpuMicrosPerPacket()) ? "kernel" : String.format(Locale.ROOT, "%.2f", r.cpuMicrosPerPacket()));
        }
    }

    private static Run veth(int seconds) throws IOException, InterruptedException {
        try (TwoNamespaces net = TwoNamespaces.create()) {
            return measure(net, "bare veth", TwoNamespaces.PHYS_B, net.vethOf(net.a), seconds, () -> -1);
        }
    }

    private static Run psp(int seconds) throws IOException, InterruptedException {
        try (TwoNamespaces net = TwoNamespaces.create()) {
            net.startSoftGateways(SoftDataplaneSettings.defaults());
            return measure(net, "psp-gateway (soft)", TwoNamespaces.VIP_B, "psp0", seconds, TunnelThroughput::jvmCpuSeconds);
        }
    }

    private static Run wireguard(int seconds) throws IOException, InterruptedException {
        try (TwoNamespaces net = TwoNamespaces.create()) {
            Path dir = Files.createTempDirectory("wg-bench");
            String[] ns = {net.a, net.b};
            String[] phys = {TwoNamespaces.PHYS_A, TwoNamespaces.PHYS_B};
            String[] keys = new String[2];
            String[] pubs = new String[2];
            for (int i = 0; i < 2; i++) {
                keys[i] = TwoNamespaces.run("wg", "genkey").strip();
                Path key = Files.writeString(dir.resolve("key" + i), keys[i]);
                pubs[i] = new String(new ProcessBuilder("wg", "pubkey").redirectInput(key.toFile()).start()
                        .getInputStream().readAllBytes()).strip();
            }
            List<Process> daemons = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) {
                    // distinct names: wireguard-go's control socket (/var/run/wireguard/NAME.sock) is not per namespace
                    String dev = "wg" + i;
                    ProcessBuilder pb = new ProcessBuilder("ip", "netns", "exec", ns[i], "wireguard-go", "-f", dev);
                    pb.environment().put("WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD", "1");
                    daemons.add(pb.redirectErrorStream(true).redirectOutput(dir.resolve(dev + ".log").toFile()).start());
                    waitForInterface(net, ns[i], dev);
                    int other = 1 - i;
                    TwoNamespaces.run("ip", "netns", "exec", ns[i], "wg", "set", dev, "private-key",
                            dir.resolve("key" + i).toString(), "listen-port", "51820", "peer", pubs[other], "allowed-ips",
                            "10.0.1." + (other + 1) + "/32", "endpoint", phys[other] + ":51820");
                    TwoNamespaces.run("ip", "-n", ns[i], "addr", "add", "10.0.1." + (i + 1) + "/24", "dev", dev);
                    TwoNamespaces.run("ip", "-n", ns[i], "link", "set", dev, "mtu", "1420", "up");
                }
                return measure(net, "wireguard-go", "10.0.1.2", "wg0", seconds, () -> processCpuSeconds(daemons));
            } finally {
                for (Process p : daemons) {
                    p.descendants().forEach(ProcessHandle::destroy);
                    p.destroy();
                }
            }
        }
    }

    private static void waitForInterface(TwoNamespaces net, String ns, String dev) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            try {
                TwoNamespaces.run("ip", "-n", ns, "link", "show", dev);
                return;
            } catch (IOException e) {
                Thread.sleep(50);
            }
        }
        throw new IllegalStateException(dev + " did not appear in " + ns);
    }

    @FunctionalInterface
    private interface CpuClock {
        double seconds() throws IOException;
    }

    private static Run measure(TwoNamespaces net, String variant, String target, String device, int seconds, CpuClock cpu)
            throws IOException, InterruptedException {
        net.start(net.b, "iperf3", "-s", "-B", target);
        Thread.sleep(500);
        net.exec(net.a, "ping", "-c", "1", "-W", "2", target);
        long packets0 = interfacePackets(net, net.a, device);
        double cpu0 = cpu.seconds();
        long t0 = System.nanoTime();
        JsonNode tcp = JSON.readTree(net.exec(net.a, "iperf3", "-c", target, "-t", Integer.toString(seconds), "-J"));
        double elapsed = (System.nanoTime() - t0) / 1e9;
        double cpu1 = cpu.seconds();
        long packets = interfacePackets(net, net.a, device) - packets0;
        JsonNode udp = JSON.readTree(net.exec(net.a, "iperf3", "-c", target, "-u", "-b", "0", "-l", "1300", "-t",
                Integer.toString(seconds), "-J"));
        double tcpBits = tcp.path("end").path("sum_received").path("bits_per_second").asDouble();
        JsonNode udpSum = udp.path("end").path("sum");
        return new Run(variant, tcpBits, udpSum.path("bits_per_second").asDouble() * (1 - udpSum.path("lost_percent").asDouble() / 100),
                udpSum.path("lost_percent").asDouble(), packets, elapsed, cpu0 < 0 ? -1 : cpu1 - cpu0);
    }

    /** Packets through {@code device} in namespace {@code ns}, both directions. */
    private static long interfacePackets(TwoNamespaces net, String ns, String device) throws IOException {
        JsonNode stats = JSON.readTree(TwoNamespaces.run("ip", "-n", ns, "-s", "-j", "link", "show", "dev", device))
                .get(0).path("stats64");
        return stats.path("rx").path("packets").asLong() + stats.path("tx").path("packets").asLong();
    }

    private static double jvmCpuSeconds() {
        return ProcessHandle.current().info().totalCpuDuration().orElse(Duration.ZERO).toNanos() / 1e9;
    }

    /** CPU time of the daemons and everything they started (ip netns exec runs wireguard-go as a child). */
    private static double processCpuSeconds(List<Process> daemons) {
        double total = 0;
        for (Process p : daemons) {
            List<ProcessHandle> all = new ArrayList<>(p.descendants().toList());
            all.add(p.toHandle());
            for (ProcessHandle h : all) {
                total += h.info().totalCpuDuration().orElse(Duration.ZERO).toNanos() / 1e9;
            }
        }
        return total;
    }
}
