package io.pspgateway.bench;

import com.google.protobuf.ByteString;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.pspgateway.control.ControlSettings;
import io.pspgateway.control.PeerDialing;
import io.pspgateway.proto.doca.KeyRotationRequest;
import io.pspgateway.proto.doca.KeyRotationResponse;
import io.pspgateway.proto.doca.MultiTunnelRequest;
import io.pspgateway.proto.doca.MultiTunnelResponse;
import io.pspgateway.proto.doca.PSP_Gateway;
import io.pspgateway.proto.doca.PSP_GatewayClient;
import io.pspgateway.proto.doca.PSP_GatewayHandlerFactory;
import io.pspgateway.proto.doca.SingleTunnelRequest;
import io.pspgateway.proto.doca.TunnelParameters;
import io.pspgateway.tls.Certificates;
import io.pspgateway.tls.GrpcTls;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.ServerBuilder;

/**
 * The gRPC transport alone, over mutual TLS and in plaintext: a client calls
 * {@code RequestMultipleTunnelParams} with requests of a full set-up call (4 096 tunnels) on a
 * server whose handler answers a ready answer of the same size at once. No set-up machinery runs:
 * what differs between the two modes is the transport (pekko-http's TLS stage on the server, the
 * client's Netty {@code SslHandler}), with the same channel and server settings as the gateways'.
 * Rounds alternate the modes on one JVM, each a number of calls with a few in flight; the first
 * round of each mode warms up and is not reported. Usage:
 * {@code GrpcTransportBenchmark [rounds (default 6)] [calls per round (default 300)] [in flight (default 4)]}.
 * Prints markdown tables.
 */
public final class GrpcTransportBenchmark {
    private static final int TUNNELS = 4096;

    private GrpcTransportBenchmark() {
    }

    /** One round: calls per second, latencies, and the process's CPU per call. */
    private record Round(double callsPerSecond, double p50Millis, double p99Millis, double maxMillis, double cpuMicrosPerCall) {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 6;
        int calls = args.length > 1 ? Integer.parseInt(args[1]) : 300;
        int inFlight = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        Config config = ConfigFactory.parseString("pekko.http.server.enable-http2 = on\npekko.loglevel = WARNING")
                .withFallback(ConfigFactory.load());
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "grpc-transport-bench", config);
        try {
            InetAddress loopback = InetAddress.getByName("127.0.0.1");
            Certificates.Issued ca = Certificates.newAuthority("bench CA", Duration.ofDays(1));
            GrpcTls serverTls = material(ca, Certificates.issue(ca, "server", List.of(loopback), Duration.ofDays(1)));
            GrpcTls clientTls = material(ca, Certificates.issue(ca, "client", List.of(loopback), Duration.ofDays(1)));
            MultiTunnelRequest request = request();
            MultiTunnelResponse answer = answer();
            PSP_Gateway answering = new Answering(answer);
            ControlSettings settings = ControlSettings.from(config);
            ServerBinding plainServer = bind(system, answering, Optional.empty());
            ServerBinding tlsServer = bind(system, answering, Optional.of(serverTls));
            PSP_GatewayClient plain = PSP_GatewayClient.create(PeerDialing.PLAINTEXT_ANY_SOURCE.clientSettings(plainServer.localAddress(),
                    settings, system), system);
            PSP_GatewayClient tls = PSP_GatewayClient.create(new PeerDialing(Optional.of(clientTls), Optional.empty())
                    .clientSettings(tlsServer.localAddress(), settings, system), system);

            System.out.printf(Locale.ROOT, "%d rounds of %d calls, %d in flight; requests %,d B, answers %,d B%n%n", rounds, calls, inFlight,
                    request.getSerializedSize(), answer.getSerializedSize());
            System.out.println("| round | gRPC | calls/s | latency p50 / p99 / max (ms) | CPU per call (µs) |");
            System.out.println("|---|---|---|---|---|");
            List<Round> withTls = new ArrayList<>();
            List<Round> without = new ArrayList<>();
            for (int r = 0; r <= rounds; r++) {
                Round t = round(tls, request, calls, inFlight);
                Round p = round(plain, request, calls, inFlight);
                if (r == 0) {
                    continue; // warm-up
                }
                withTls.add(t);
                without.add(p);
                print(r, "tls", t);
                print(r, "plaintext", p);
            }
            double t = median(withTls.stream().mapToDouble(Round::callsPerSecond).toArray());
            double p = median(without.stream().mapToDouble(Round::callsPerSecond).toArray());
            double tCpu = median(withTls.stream().mapToDouble(Round::cpuMicrosPerCall).toArray());
            double pCpu = median(without.stream().mapToDouble(Round::cpuMicrosPerCall).toArray());
            System.out.println();
            System.out.printf(Locale.ROOT, "| median | mutual TLS | plaintext | TLS / plaintext |%n|---|---|---|---|%n");
            System.out.printf(Locale.ROOT, "| calls/s | %,.0f | %,.0f | %.2f |%n", t, p, t / p);
            System.out.printf(Locale.ROOT, "| CPU per call (µs) | %,.0f | %,.0f | %.2f |%n", tCpu, pCpu, tCpu / pCpu);
            System.out.printf(Locale.ROOT, "| CPU per tunnel (µs) | %.2f | %.2f | |%n", tCpu / TUNNELS, pCpu / TUNNELS);
            plain.close();
            tls.close();
            plainServer.unbind().toCompletableFuture().get(5, TimeUnit.SECONDS);
            tlsServer.unbind().toCompletableFuture().get(5, TimeUnit.SECONDS);
        } finally {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    private static GrpcTls material(Certificates.Issued ca, Certificates.Issued issued) throws Exception {
        return GrpcTls.of(List.of(ca.certificate()), List.of(issued.certificate()), issued.key());
    }

    private static ServerBinding bind(ActorSystem<?> system, PSP_Gateway service, Optional<GrpcTls> tls) throws Exception {
        ServerBuilder server = Http.get(system).newServerAt("127.0.0.1", 0);
        if (tls.isPresent()) {
            server = server.enableHttps(ConnectionContext.httpsServer(tls.get()::newServerEngine));
        }
        return server.bind(PSP_GatewayHandlerFactory.create(service, system)).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** {@code calls} calls, {@code inFlight} at a time, each timed from its send to its answer. */
    private static Round round(PSP_GatewayClient client, MultiTunnelRequest request, int calls, int inFlight) throws Exception {
        long[] latencies = new long[calls];
        long cpu0 = processCpuNanos();
        long t0 = System.nanoTime();
        List<CompletableFuture<Void>> lanes = new ArrayList<>();
        int[] next = {0};
        for (int lane = 0; lane < inFlight; lane++) {
            lanes.add(lane(client, request, latencies, next));
        }
        CompletableFuture.allOf(lanes.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
        long elapsed = System.nanoTime() - t0;
        long cpu = processCpuNanos() - cpu0;
        Arrays.sort(latencies);
        return new Round(calls / (elapsed / 1e9), latencies[calls / 2] / 1e6, latencies[(int) (calls * 0.99)] / 1e6,
                latencies[calls - 1] / 1e6, cpu / 1e3 / calls);
    }

    /** One lane: calls one after the other until {@code next} reaches the round's count. */
    private static CompletableFuture<Void> lane(PSP_GatewayClient client, MultiTunnelRequest request, long[] latencies, int[] next) {
        int i;
        synchronized (next) {
            if (next[0] == latencies.length) {
                return CompletableFuture.completedFuture(null);
            }
            i = next[0]++;
        }
        long sent = System.nanoTime();
        return client.requestMultipleTunnelParams(request).toCompletableFuture().thenCompose(answer -> {
            if (answer.getTunnelsParamsCount() != TUNNELS) {
                throw new IllegalStateException("an answer of " + answer.getTunnelsParamsCount() + " tunnels");
            }
            latencies[i] = System.nanoTime() - sent;
            return lane(client, request, latencies, next);
        });
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** A full set-up call: 4 096 VIP pairs. */
    private static MultiTunnelRequest request() {
        MultiTunnelRequest.Builder b = MultiTunnelRequest.newBuilder().setRequestId(1).addPspVersionsAccepted(1);
        for (int i = 0; i < TUNNELS; i++) {
            b.addTunnels(SingleTunnelRequest.newBuilder().setVirtSrcIp("10.1." + (i >> 8) + "." + (i & 0xFF))
                    .setVirtDstIp("10.2." + (i >> 8) + "." + (i & 0xFF)).setInnerType(4));
        }
        return b.build();
    }

    /** Its answer: one set of parameters per tunnel, each with a 256-bit key (random bytes: keys do not compress). */
    private static MultiTunnelResponse answer() {
        java.util.Random random = new java.util.Random(4096);
        MultiTunnelResponse.Builder b = MultiTunnelResponse.newBuilder().setRequestId(1);
        for (int i = 0; i < TUNNELS; i++) {
            byte[] key = new byte[32];
            random.nextBytes(key);
            b.addTunnelsParams(TunnelParameters.newBuilder().setMacAddr("02:00:00:00:00:02").setIpAddr("198.51.100.2").setPspVersion(1)
                    .setSpi(0x80000000 | i).setEncryptionKey(ByteString.copyFrom(key)).setEncapType(4));
        }
        return b.build();
    }

    /** The server: the ready answer at once, whatever is asked. */
    private record Answering(MultiTunnelResponse answer) implements PSP_Gateway {
        @Override
        public CompletionStage<MultiTunnelResponse> requestMultipleTunnelParams(MultiTunnelRequest in) {
            return CompletableFuture.completedFuture(answer);
        }

        @Override
        public CompletionStage<KeyRotationResponse> requestKeyRotation(KeyRotationRequest in) {
            return CompletableFuture.completedFuture(KeyRotationResponse.getDefaultInstance());
        }
    }

    private static void print(int round, String mode, Round r) {
        System.out.printf(Locale.ROOT, "| %d | %s | %,.0f | %.1f / %.1f / %.1f | %,.0f |%n", round, mode, r.callsPerSecond(), r.p50Millis(),
                r.p99Millis(), r.maxMillis(), r.cpuMicrosPerCall());
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
