package io.pspgateway.bench;

import com.typesafe.config.ConfigFactory;
import io.pspgateway.control.LocalCluster;
import io.pspgateway.dataplane.soft.SoftDataplaneSettings;
import io.pspgateway.psp.InnerPackets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The first tunnel to a new peer: two freshly started gateways in one process, and the time from
 * the first packet gateway 0 sends to gateway 1's VIP until gateway 1's host has it. That is a
 * miss, a new gRPC channel (over mutual TLS: the TCP and TLS 1.3 handshakes, both certificates
 * checked), the request, minting, the install on both sides and the re-injected packet. Rounds
 * alternate mutual TLS and plaintext gRPC, each with gateways of their own; the first round of
 * each is the cold JVM's and reported apart. Usage: FirstTunnelBenchmark [rounds (default 8)].
 * Prints a markdown table.
 */
public final class FirstTunnelBenchmark {
    private FirstTunnelBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        if (rounds < 2) {
            throw new IllegalArgumentException("at least 2 rounds: the first is the cold JVM's");
        }
        List<Double> tls = new ArrayList<>();
        List<Double> plaintext = new ArrayList<>();
        System.out.println("| round | mutual TLS, ms | plaintext, ms |");
        System.out.println("|---|---|---|");
        for (int r = 0; r < rounds; r++) {
            double withTls = firstTunnelMillis(false);
            double without = firstTunnelMillis(true);
            System.out.printf(Locale.ROOT, "| %s | %.1f | %.1f |%n", r == 0 ? "1 (cold JVM)" : String.valueOf(r + 1), withTls, without);
            if (r > 0) {
                tls.add(withTls);
                plaintext.add(without);
            }
        }
        double t = median(tls);
        double p = median(plaintext);
        System.out.printf(Locale.ROOT, "| median of rounds 2-%d | %.1f | %.1f |%n", rounds, t, p);
        System.out.printf(Locale.ROOT, "| mutual TLS / plaintext | %.2f | |%n", t / p);
    }

    /** Starts two gateways, times their first tunnel, stops them. */
    private static double firstTunnelMillis(boolean plaintext) throws Exception {
        var config = ConfigFactory.empty();
        try (LocalCluster c = plaintext ? LocalCluster.startInsecure(2, 1, i -> SoftDataplaneSettings.defaults(), config)
                : LocalCluster.start(2, 1, i -> SoftDataplaneSettings.defaults(), config)) {
            LocalCluster.Member a = c.get(0);
            LocalCluster.Member b = c.get(1);
            long t0 = System.nanoTime();
            if (!a.host().send(InnerPackets.udp(a.vip(), b.vip(), 1))) {
                throw new IllegalStateException("the host queue refused the first packet");
            }
            byte[] got = b.host().take(30_000);
            long elapsed = System.nanoTime() - t0;
            if (got == null || InnerPackets.sequence(got) != 1) {
                throw new IllegalStateException("the first packet did not arrive within 30 s (" + (plaintext ? "plaintext" : "mutual TLS") + ")");
            }
            return elapsed / 1e6;
        }
    }

    private static double median(List<Double> values) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
