package io.pspgateway.cli;

import io.pspgateway.control.GatewayNode;
import io.pspgateway.control.GatewaySettings;
import io.pspgateway.dataplane.Backend;
import io.pspgateway.dataplane.DataplaneCounters;
import io.pspgateway.dataplane.port.OffloadCounters;
import io.pspgateway.dataplane.DropReason;
import io.pspgateway.dataplane.FlowKey;
import io.pspgateway.dataplane.HoldReason;
import io.pspgateway.dataplane.SlowPathCounters;
import io.pspgateway.psp.IpText;
import io.pspgateway.tls.TlsReloader;
import java.io.PrintWriter;
import java.security.cert.X509Certificate;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * Runs one gateway from the command line, the composition root: reads and validates everything
 * into one {@link GatewayConfig}, has {@link Backends} open the data plane {@code --backend}
 * names with its ports, starts the control plane on it, prints what {@code --stat-print} and
 * {@code --perf-print} ask for, and stops cleanly on SIGINT or SIGTERM.
 */
final class GatewayRunner {
    private GatewayRunner() {
    }

    static int run(GatewayOptions o, CommandLine cli) throws Exception {
        if (o.backend == GatewayOptions.BackendKind.doca) {
            try {
                // with DOCA the uplink is the device's address, so the configuration is built from it
                o.uplinkIp = IpText.of(Backends.docaUplink(o, DataplaneConfig.docaLibDir(com.typesafe.config.ConfigFactory.load())));
            } catch (Backends.UnavailableBackendException e) {
                cli.getErr().println("pspgw: " + e.getMessage());
                cli.getErr().flush();
                return 2;
            }
        }
        GatewayConfig config = GatewayConfig.from(o, cli);
        System.setProperty("PSPGW_LOG_LEVEL", logbackLevel(o.logLevel));
        System.setProperty("PSPGW_SDK_LOG_LEVEL", logbackLevel(o.sdkLogLevel));
        Logger log = LoggerFactory.getLogger(GatewayRunner.class);
        PrintWriter out = cli.getOut();
        if (o.debugKeys) {
            log.warn("-k/--debug-keys: TUNNEL KEYS WILL BE PRINTED at debug level (logger io.pspgateway.keys): anyone who reads "
                    + "this log can decrypt the traffic. Use it only to debug interoperability, never in production");
        }
        config.warnings().forEach(log::warn);
        Backend backend;
        try {
            backend = Backends.open(config.backendKind(), config.dataplane());
        } catch (Backends.UnavailableBackendException e) {
            cli.getErr().println("pspgw: " + e.getMessage());
            cli.getErr().flush();
            return 2;
        }
        GatewaySettings settings = config.gateway();
        settings.tls().ifPresent(tls -> log.info("gRPC over mutual TLS as {}", tls.certificate().getSubjectX500Principal().getName()));
        GatewayNode node;
        try {
            node = GatewayNode.start("pspgw", settings, backend.ops(), config.pekko());
        } catch (Exception e) {
            backend.close();
            throw e;
        }
        out.printf("pspgw running: %s, gRPC on %s, %d peer(s) in the file%s, %s tunnels. Ctrl-C stops.%n",
                backend.description(), IpText.of(node.grpcAddress()), settings.tunnels().peers().size(),
                settings.cluster().map(m -> ", clustered as " + m.gatewayId() + " on port " + o.clusterPort).orElse(""),
                settings.staticTunnels() ? "static" : "on-demand");
        out.flush();

        // new certificates without a restart: when the files change, and on SIGHUP
        Optional<TlsReloader> reloader = Optional.empty();
        if (settings.tls().isPresent()) {
            Function<X509Certificate, Optional<String>> acceptable =
                    certificate -> settings.cluster().flatMap(membership -> membership.refusalUnder(certificate));
            TlsReloader r;
            try {
                r = TlsReloader.start(settings.tls().get(), acceptable, true);
            } catch (java.io.IOException e) {
                log.warn("cannot watch the TLS files ({}): they are read again on SIGHUP only", e.toString());
                r = TlsReloader.start(settings.tls().get(), acceptable, false);
            }
            r.reloadOnSighup();
            reloader = Optional.of(r);
        }
        ScheduledExecutorService printer = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon(true)
                .name("pspgw-printer").unstarted(r));
        if (o.statPrint || o.perfPrint != null) {
            StatPrinter stats = new StatPrinter(node, out, o.statPrint, o.perfPrint);
            printer.scheduleAtFixedRate(stats::print, 1, 1, TimeUnit.SECONDS);
        }
        // stop on a signal (exit 0), or when the actors stop on their own: the cluster's split-brain
        // resolver downed this gateway (a partition left it in the minority) and its tunnels are gone.
        // Exiting then, rather than lingering with a data plane nobody drives, lets the service manager
        // start a new incarnation that rejoins. The exit waits for the shutdown to begin, not for the
        // ActorSystem to terminate, which after a partition may never happen (see whenTerminated).
        CompletableFuture<Boolean> bySignal = new CompletableFuture<>();
        CountDownLatch closed = new CountDownLatch(1);
        Optional<TlsReloader> reloading = reloader;
        Thread hook = Thread.ofPlatform().unstarted(() -> {
            bySignal.complete(true);
            reloading.ifPresent(GatewayRunner::closeQuietly);
            printer.shutdownNow();
            node.close();
            closed.countDown();
        });
        Runtime.getRuntime().addShutdownHook(hook);
        CompletableFuture<String> stopping = node.whenStopping().toCompletableFuture();
        stopping.thenRun(() -> bySignal.complete(false));
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
        reloader.ifPresent(GatewayRunner::closeQuietly);
        printer.shutdownNow();
        log.error("the gateway's actors are stopping on their own ({}: downed by the cluster, or a fatal error): its tunnels are "
                + "gone; exiting with status {} so that the service manager starts a new incarnation", stopping.get(),
                EXIT_ACTORS_STOPPED);
        node.close();
        return EXIT_ACTORS_STOPPED;
    }

    private static void closeQuietly(TlsReloader reloader) {
        try {
            reloader.close();
        } catch (java.io.IOException ignored) {
            // only the file watch is closed: nothing is lost
        }
    }

    /** The exit status when the gateway's actors stopped without being asked to (downed by the cluster). */
    static final int EXIT_ACTORS_STOPPED = 3;

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
    static final class StatPrinter {
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

        /** The data plane's lines: the original's, then drops, holds, the slow path and offloads where there are any. */
        static String counterLines(DataplaneCounters c) {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format("Egress encrypt: %d hits [%d misses]%n", c.txPackets(), c.held(HoldReason.MISS)));
            sb.append(String.format("Ingress decrypt: %d hits%n", c.rxPackets()));
            sb.append(String.format("syndrome - ICV Fail: %d hits%n", c.dropped(DropReason.INGRESS_AUTH_FAILED)));
            sb.append(String.format("syndrome - Bad Trailer: %d hits%n", c.dropped(DropReason.INGRESS_BAD_HEADER)
                    + c.dropped(DropReason.INGRESS_MALFORMED)));
            sb.append(String.format("Ingress ACL: %d misses%n", c.dropped(DropReason.INGRESS_ACL_MISS)));
            // beyond the original's lines: every drop and hold by its reason, so none goes unseen
            if (!c.drops().isEmpty()) {
                sb.append("Drops: ").append(byReason(c.drops())).append(System.lineSeparator());
            }
            if (!c.held().isEmpty()) {
                sb.append("Held: ").append(byReason(c.held())).append(System.lineSeparator());
            }
            SlowPathCounters cpu = c.slowPath();
            if (!cpu.equals(SlowPathCounters.NONE)) {
                sb.append(String.format("Slow path: %d packets from the NIC, %d ARP and %d neighbour solicitations answered, "
                        + "%d held packets re-injected%n", cpu.received(), cpu.arpAnswered(), cpu.ndAnswered(), cpu.reinjected()));
            }
            OffloadCounters o = c.offloads();
            if (!o.equals(OffloadCounters.NONE)) {
                sb.append(String.format("Offloads: TUN %d super-packets -> %d packets, %d segments -> %d coalesced; "
                                + "UDP %d datagrams in %d GSO sends, %d in %d GRO trains; %d fallbacks%n",
                        o.superPacketsRead(), o.segmentsMade(), o.segmentsCoalesced(), o.framesCoalesced(), o.gsoDatagrams(),
                        o.gsoSends(), o.groDatagrams(), o.groTrains(), o.fallbacks()));
            }
            return sb.toString();
        }

        /** "EGRESS_NO_ROUTE 3, INGRESS_ACL_MISS 1", in the reasons' order. */
        private static String byReason(java.util.Map<? extends Enum<?>, Long> counts) {
            return counts.entrySet().stream().sorted(java.util.Map.Entry.comparingByKey(java.util.Comparator.comparingInt(Enum::ordinal)))
                    .map(e -> e.getKey().name() + " " + e.getValue()).collect(java.util.stream.Collectors.joining(", "));
        }

        void print() {
            StringBuilder sb = new StringBuilder();
            if (stats) {
                sb.append(counterLines(node.dataplane().counters()));
                try {
                    for (FlowKey flow : node.egressTunnels()) {
                        var counters = node.dataplane().encryptEntryCounters(flow);
                        sb.append(String.format("Session Egress (%s -> %s): %d hits%n", IpText.of(flow.source()),
                                IpText.of(flow.destination()), counters == null ? 0 : counters.packets()));
                    }
                    node.ingressTunnels().forEach((flow, hits) -> sb.append(String.format("Session Ingress (%s <- %s): %d hits%n",
                            IpText.of(flow.source()), IpText.of(flow.destination()), hits)));
                } catch (Exception e) {
                    // a stuck actor must not read as "no tunnels"
                    sb.append(String.format("Sessions: the control plane did not answer (%s)%n", e));
                }
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
