package io.pspgateway.netns;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pspgateway.dataplane.DataplaneCounters;
import io.pspgateway.dataplane.port.OffloadCounters;
import io.pspgateway.dataplane.soft.SoftDataplane;
import io.pspgateway.dataplane.soft.SoftDataplaneSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Throughput through the kernel, all variants alternated round by round on fresh namespaces with
 * the same veth settings (GRO on): the bare veth; our PSP tunnel (soft data plane, TUN + UDP/1000,
 * both gateways in this JVM) with its offloads and with them forced off; wireguard-go with its
 * offloads (0.0.20231211, the anchor) and without (0.0.20220316). Per run: iperf3 TCP, the ping
 * latency while it runs, the CPU of whatever does the tunnelling (both ends), and UDP at the
 * highest rate that loses under 1 % (searched downwards from the TCP rate). Prints markdown: one
 * row per run, then the medians, the ratio to the anchor, and for our tunnel with offloads the
 * offload counters that show them in effect; with {@code -Dbench.data=FILE} it also writes the
 * medians as a gnuplot data file. A first run of our tunnel, before the rounds, is discarded: it
 * is where the JIT compiler turns the packet path into machine code.
 *
 * <p>Usage: TunnelThroughput [seconds per run, default 5] [rounds, default 3]. The wireguard-go
 * binaries come from {@code -Dbench.wireguard-go.new=PATH} and {@code -Dbench.wireguard-go.old=PATH}
 * (a variant whose binary is missing is left out, and the table says so); {@code -Dbench.only=a,b}
 * keeps the variants whose names start so, {@code -Dbench.batch-size=N} runs our tunnel with
 * another {@code pspgw.dataplane.batch-size}. Needs root, iperf3,
 * ethtool, and wg for the wireguard-go variants.
 */
public final class TunnelThroughput {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern RTT = Pattern.compile("rtt min/avg/max/mdev = [0-9.]+/([0-9.]+)/");

    private record Run(String variant, double tcpBits, double cpuSeconds, double seconds, double pingMillis, double udpBits,
                       double udpLossPercent, String notes) {
        /** Cores busy per Gbit/s of TCP, or NaN where the kernel does the work. */
        double coresPerGbit() {
            return cpuSeconds < 0 ? Double.NaN : (cpuSeconds / seconds) / (tcpBits / 1e9);
        }
    }

    @FunctionalInterface
    private interface Variant {
        Run run(int seconds) throws Exception;
    }

    @FunctionalInterface
    private interface CpuClock {
        double seconds() throws IOException;
    }

    private TunnelThroughput() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        String why = TwoNamespaces.unavailableBecause("ip", "iperf3", "ping");
        if (!why.isEmpty()) {
            System.err.println("cannot run: " + why);
            System.exit(2);
        }
        Map<String, Variant> variants = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        variants.put("bare veth", TunnelThroughput::veth);
        variants.put("psp-gateway, offloads on (default)", s -> psp(s, true));
        variants.put("psp-gateway, offloads off", s -> psp(s, false));
        String anchor = "wireguard-go 0.0.20231211 (offloads)";
        addWireguard(variants, missing, anchor, System.getProperty("bench.wireguard-go.new", ""));
        addWireguard(variants, missing, "wireguard-go 0.0.20220316 (no offloads)", System.getProperty("bench.wireguard-go.old", ""));

        // the JIT compiles the packet path during a first, discarded run: wireguard-go is compiled ahead of time
        psp(seconds, true);
        String only = System.getProperty("bench.only", "");
        if (!only.isEmpty()) {
            variants.keySet().removeIf(name -> java.util.Arrays.stream(only.split(",")).noneMatch(name::startsWith));
        }
        Map<String, List<Run>> runs = new LinkedHashMap<>();
        for (int r = 0; r < rounds; r++) {
            for (Map.Entry<String, Variant> v : variants.entrySet()) {
                Run run = v.getValue().run(seconds);
                runs.computeIfAbsent(v.getKey(), k -> new ArrayList<>()).add(run);
                System.err.printf(Locale.ROOT, "round %d: %s %.2f Gbit/s%n", r + 1, v.getKey(), run.tcpBits() / 1e9);
            }
        }
        print(runs, anchor, seconds, rounds, missing);
        String data = System.getProperty("bench.data");
        if (data != null) {
            writeData(Path.of(data), runs);
        }
    }

    private static void addWireguard(Map<String, Variant> variants, List<String> missing, String name, String binary) {
        if (!binary.isEmpty() && Files.isExecutable(Path.of(binary))) {
            variants.put(name, s -> wireguard(s, binary, name));
        } else {
            missing.add(name + " (binary not given or not found: '" + binary + "')");
        }
    }

    private static void print(Map<String, List<Run>> runs, String anchor, int seconds, int rounds, List<String> missing) {
        double anchorTcp = runs.containsKey(anchor) ? median(runs.get(anchor), Run::tcpBits) : Double.NaN;
        System.out.printf("%d rounds, each variant once per round in this order, %d s per iperf3 run; medians:%n%n", rounds, seconds);
        System.out.println("| path | TCP Gbit/s | vs wireguard-go with offloads | cores per Gbit/s (both ends) | ping under load, ms | UDP Gbit/s at < 1 % loss |");
        System.out.println("|---|---|---|---|---|---|");
        for (Map.Entry<String, List<Run>> e : runs.entrySet()) {
            List<Run> rs = e.getValue();
            double tcp = median(rs, Run::tcpBits);
            double cores = median(rs, Run::coresPerGbit);
            System.out.printf(Locale.ROOT, "| %s | %.2f | %.2f× | %s | %.2f | %.2f |%n", e.getKey(), tcp / 1e9, tcp / anchorTcp,
                    Double.isNaN(cores) ? "kernel" : String.format(Locale.ROOT, "%.2f", cores), median(rs, Run::pingMillis),
                    median(rs, Run::udpBits) / 1e9);
        }
        for (String m : missing) {
            System.out.println("| " + m + " | not run | | | | |");
        }
        System.out.println();
        System.out.println("Every run:");
        System.out.println();
        System.out.println("| round | path | TCP Gbit/s | cores per Gbit/s | ping ms | UDP Gbit/s (loss at that rate) | notes |");
        System.out.println("|---|---|---|---|---|---|---|");
        for (int r = 0; r < rounds; r++) {
            for (Map.Entry<String, List<Run>> e : runs.entrySet()) {
                Run run = e.getValue().get(r);
                System.out.printf(Locale.ROOT, "| %d | %s | %.2f | %s | %.2f | %.2f (%.2f %%) | %s |%n", r + 1, e.getKey(),
                        run.tcpBits() / 1e9, Double.isNaN(run.coresPerGbit()) ? "kernel"
                                : String.format(Locale.ROOT, "%.2f", run.coresPerGbit()),
                        run.pingMillis(), run.udpBits() / 1e9, run.udpLossPercent(), run.notes());
            }
        }
    }

    private static void writeData(Path file, Map<String, List<Run>> runs) throws IOException {
        StringBuilder sb = new StringBuilder("# path\tTCP_Gbit/s\tUDP_Gbit/s\tcores_per_Gbit/s\n");
        for (Map.Entry<String, List<Run>> e : runs.entrySet()) {
            double cores = median(e.getValue(), Run::coresPerGbit);
            sb.append('"').append(e.getKey()).append('"').append('\t')
                    .append(String.format(Locale.ROOT, "%.3f\t%.3f\t%.3f%n", median(e.getValue(), Run::tcpBits) / 1e9,
                            median(e.getValue(), Run::udpBits) / 1e9, Double.isNaN(cores) ? 0 : cores));
        }
        Files.writeString(file, sb);
    }

    private static double median(List<Run> runs, java.util.function.ToDoubleFunction<Run> f) {
        double[] v = runs.stream().mapToDouble(f).sorted().toArray();
        return v.length == 0 ? Double.NaN : v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static Run veth(int seconds) throws Exception {
        try (TwoNamespaces net = TwoNamespaces.create()) {
            return measure(net, "bare veth", TwoNamespaces.PHYS_B, seconds, () -> -1, () -> "");
        }
    }

    private static Run psp(int seconds, boolean offloads) throws Exception {
        try (TwoNamespaces net = TwoNamespaces.create()) {
            SoftDataplaneSettings d = SoftDataplaneSettings.defaults();
            int batch = Integer.getInteger("bench.batch-size", d.batchSize());
            SoftDataplane[] gw = net.startSoftGateways(d.withQueues(d.workers(), batch, d.missQueueCapacity()), offloads);
            long allocated0 = packetThreadsAllocated();
            long packets0 = packets(gw);
            return measure(net, "psp-gateway", TwoNamespaces.VIP_B, seconds, TunnelThroughput::jvmCpuSeconds,
                    () -> offloadNotes(gw) + String.format(Locale.ROOT, "; packet threads allocated %.1f bytes per packet",
                            (double) (packetThreadsAllocated() - allocated0) / Math.max(1, packets(gw) - packets0)));
        }
    }

    /** Packets sealed and opened by both gateways. */
    private static long packets(SoftDataplane[] gw) {
        long n = 0;
        for (SoftDataplane d : gw) {
            n += d.counters().txPackets() + d.counters().rxPackets();
        }
        return n;
    }

    /** Bytes the packet threads (psp-egress-*, psp-ingress-*) have allocated on the heap so far. */
    private static long packetThreadsAllocated() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long total = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("psp-egress-") || t.getName().startsWith("psp-ingress-")) {
                total += Math.max(0, threads.getThreadAllocatedBytes(t.threadId()));
            }
        }
        return total;
    }

    /** What the offloads did over the whole run, gateway by gateway (A sends the TCP data, B the ACKs), and the drops. */
    private static String offloadNotes(SoftDataplane[] gw) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 2; i++) {
            DataplaneCounters c = gw[i].counters();
            OffloadCounters o = c.offloads();
            sb.append(i == 0 ? "A: " : "; B: ");
            if (!o.equals(OffloadCounters.NONE)) {
                sb.append(String.format(Locale.ROOT, "TUN read %,d super-packets, %,d packets in all; wrote %,d segments in %,d "
                                + "frames; UDP sent %,d datagrams in %,d GSO sends, received %,d in %,d GRO trains; ",
                        o.superPacketsRead(), o.segmentsMade(), o.segmentsCoalesced(), o.framesCoalesced(), o.gsoDatagrams(),
                        o.gsoSends(), o.groDatagrams(), o.groTrains()));
            }
            sb.append("sealed ").append(String.format(Locale.ROOT, "%,d", c.txPackets())).append(", opened ")
                    .append(String.format(Locale.ROOT, "%,d", c.rxPackets())).append(", drops ").append(c.drops())
                    .append(", auth failures ").append(c.rxAuthFail());
        }
        return sb.toString();
    }

    private static Run wireguard(int seconds, String binary, String name) throws Exception {
        try (TwoNamespaces net = TwoNamespaces.create()) {
            Path dir = Files.createTempDirectory("wg-bench");
            String[] ns = {net.a, net.b};
            String[] phys = {TwoNamespaces.PHYS_A, TwoNamespaces.PHYS_B};
            String[] pubs = new String[2];
            for (int i = 0; i < 2; i++) {
                Path key = Files.writeString(dir.resolve("key" + i), TwoNamespaces.run("wg", "genkey").strip());
                pubs[i] = new String(new ProcessBuilder("wg", "pubkey").redirectInput(key.toFile()).start()
                        .getInputStream().readAllBytes()).strip();
            }
            List<Process> daemons = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) {
                    // distinct names: wireguard-go's control socket (/var/run/wireguard/NAME.sock) is not per namespace
                    String dev = "wg" + i;
                    ProcessBuilder pb = new ProcessBuilder("ip", "netns", "exec", ns[i], binary, "-f", dev);
                    pb.environment().put("WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD", "1");
                    daemons.add(pb.redirectErrorStream(true).redirectOutput(dir.resolve(dev + ".log").toFile()).start());
                    waitForInterface(ns[i], dev);
                    int other = 1 - i;
                    TwoNamespaces.run("ip", "netns", "exec", ns[i], "wg", "set", dev, "private-key",
                            dir.resolve("key" + i).toString(), "listen-port", "51820", "peer", pubs[other], "allowed-ips",
                            "10.0.1." + (other + 1) + "/32", "endpoint", phys[other] + ":51820");
                    TwoNamespaces.run("ip", "-n", ns[i], "addr", "add", "10.0.1." + (i + 1) + "/24", "dev", dev);
                    TwoNamespaces.run("ip", "-n", ns[i], "link", "set", dev, "mtu", "1420", "up");
                }
                return measure(net, name, "10.0.1.2", seconds, () -> processCpuSeconds(daemons), () -> "");
            } finally {
                for (Process p : daemons) {
                    p.descendants().forEach(ProcessHandle::destroy);
                    p.destroy();
                }
            }
        }
    }

    private static void waitForInterface(String ns, String dev) throws InterruptedException {
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

    private static Run measure(TwoNamespaces net, String variant, String target, int seconds, CpuClock cpu,
                               java.util.concurrent.Callable<String> notes) throws Exception {
        net.start(net.b, "iperf3", "-s", "-B", target);
        Thread.sleep(500);
        net.exec(net.a, "ping", "-c", "1", "-W", "2", target);
        Process ping = net.start(net.a, "ping", "-i", "0.1", "-c", Integer.toString(seconds * 10 - 5), "-W", "1", target);
        double cpu0 = cpu.seconds();
        long t0 = System.nanoTime();
        JsonNode tcp = JSON.readTree(net.exec(net.a, "iperf3", "-c", target, "-t", Integer.toString(seconds), "-J"));
        double elapsed = (System.nanoTime() - t0) / 1e9;
        double cpu1 = cpu.seconds();
        ping.waitFor();
        Matcher rtt = RTT.matcher(new String(ping.getInputStream().readAllBytes()));
        double pingMillis = rtt.find() ? Double.parseDouble(rtt.group(1)) : Double.NaN;
        double tcpBits = tcp.path("end").path("sum_received").path("bits_per_second").asDouble();
        // UDP: the highest rate (from the TCP rate down) at which the receiver sees under 1 % loss
        double rate = Math.max(tcpBits, 50e6);
        double udpBits = 0;
        double loss = 100;
        for (int attempt = 0; attempt < 5; attempt++, rate *= 0.7) {
            JsonNode sum = JSON.readTree(net.exec(net.a, "iperf3", "-c", target, "-u", "-b", Long.toString((long) rate), "-l",
                    "1300", "-t", Integer.toString(Math.max(2, seconds / 2)), "-J")).path("end").path("sum");
            loss = sum.path("lost_percent").asDouble();
            udpBits = sum.path("bits_per_second").asDouble() * (1 - loss / 100);
            if (loss < 1) {
                break;
            }
        }
        return new Run(variant, tcpBits, cpu0 < 0 ? -1 : cpu1 - cpu0, elapsed, pingMillis, udpBits, loss, notes.call());
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
