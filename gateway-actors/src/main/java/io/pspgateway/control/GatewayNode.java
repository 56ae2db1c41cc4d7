package io.pspgateway.control;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.pspgateway.cluster.ClusterBootstrapper;
import io.pspgateway.cluster.ClusterMembership;
import io.pspgateway.cluster.ClusterRegistry;
import io.pspgateway.cluster.VipPrefixes;
import io.pspgateway.config.TunnelConfig;
import io.pspgateway.dataplane.DataplaneOps;
import io.pspgateway.dataplane.FlowKey;
import io.pspgateway.dataplane.MissPoller;
import io.pspgateway.psp.IpText;
import io.pspgateway.tls.ArteryTls;
import io.pspgateway.tls.GrpcTls;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.Done;
import org.apache.pekko.actor.BootstrapSetup;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.setup.ActorSystemSetup;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.ServerBuilder;
import org.apache.pekko.remote.artery.tcp.SSLEngineProviderSetup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running gateway: its ActorSystem with the {@link Gateway} guardian, the miss poller that
 * feeds the MissHandler, and the gRPC server of the {@link TunnelService}. Several can run in one
 * JVM (tests, the demo), each with its own ActorSystem and data plane.
 */
public final class GatewayNode implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GatewayNode.class);
    private static final Duration STARTUP = Duration.ofSeconds(10);

    private final String name;
    private final ActorSystem<Gateway.Command> system;
    private final Gateway.Refs refs;
    private final MissPoller poller;
    private final ServerBinding binding;
    private final DataplaneOps dataplane;
    private final GatewayStats stats;
    private final PerfCounters perf;
    private final ServedVips served;
    private final CompletableFuture<String> stopping = new CompletableFuture<>();

    private GatewayNode(String name, ActorSystem<Gateway.Command> system, Gateway.Refs refs, MissPoller poller,
                        ServerBinding binding, DataplaneOps dataplane, GatewayStats stats, PerfCounters perf, ServedVips served) {
        this.name = name;
        this.system = system;
        this.refs = refs;
        this.poller = poller;
        this.binding = binding;
        this.dataplane = dataplane;
        this.stats = stats;
        this.perf = perf;
        this.served = served;
        noteStopping(system, stopping);
    }

    /**
     * Announces {@code vipPrefixes} as served here from now on, replacing what was announced (a
     * workload moved here or away). Only for clustered gateways.
     */
    public void announce(VipPrefixes vipPrefixes) {
        ActorRef<ClusterRegistry.Command> registry = refs.registry().orElseThrow(
                () -> new IllegalStateException("gateway " + name + " is not clustered: nothing to announce to"));
        served.announce(vipPrefixes);
        registry.tell(new ClusterRegistry.Announce(vipPrefixes));
    }

    /**
     * Starts a gateway named {@code name} (the ActorSystem's name) on {@code dataplane}, serving
     * gRPC on {@code settings.grpcBind()}. The data plane's packet threads must already run (or be
     * started by the caller); the node closes the data plane when it closes.
     */
    public static GatewayNode start(String name, GatewaySettings settings, DataplaneOps dataplane, Config config)
            throws Exception {
        return start(name, settings, dataplane, config, java.util.function.UnaryOperator.identity(), ActorDecorator.NONE);
    }

    /**
     * As above, with the gRPC service wrapped by {@code service} and the actors by {@code actors}
     * (seams for tests that disturb them).
     */
    public static GatewayNode start(String name, GatewaySettings settings, DataplaneOps dataplane, Config config,
                                    java.util.function.UnaryOperator<io.pspgateway.proto.doca.PSP_Gateway> service,
                                    ActorDecorator actors) throws Exception {
        GatewayStats stats = new GatewayStats();
        AtomicReference<Authorizer> authorizer = new AtomicReference<>(Authorizer.NOBODY);
        PerfCounters perf = new PerfCounters();
        // gRPC needs HTTP/2 on the server, whatever order the bundled reference.conf files were merged in
        Config withHttp2 = ConfigFactory.parseString("pekko.http.server.enable-http2 = on\n"
                // CallerGate reads who calls from these request attributes
                + "pekko.http.server.remote-address-attribute = on\npekko.http.server.parsing.ssl-session-attribute = on").withFallback(config);
        // every member of a gateway cluster must share one ActorSystem name; a lone gateway uses its own
        String systemName = settings.cluster().isPresent() ? ClusterMembership.SYSTEM_NAME : name;
        ActorSystem<Gateway.Command> system = ActorSystem.create(Gateway.create(settings, dataplane, stats, perf, actors, authorizer::set), systemName,
                actorSystemSetup(settings, withHttp2));
        try {
            if (settings.cluster().isPresent()) {
                ClusterBootstrapper.startIfConfigured(system, settings.tls());
            }
            Gateway.Refs refs = AskPattern.<Gateway.Command, Gateway.Refs>ask(system, Gateway.GetRefs::new, STARTUP,
                    system.scheduler()).toCompletableFuture().get(STARTUP.toSeconds(), TimeUnit.SECONDS);
            MissPoller poller = MissPoller.start(dataplane.missQueue(), 1024,
                    batch -> refs.missHandler().tell(new MissHandler.Missed(batch)));
            ServedVips served = new ServedVips(settings.localVips(),
                    settings.cluster().map(ClusterMembership::vipPrefixes).orElse(VipPrefixes.none()));
            Denials denials = new Denials(stats);
            // with TLS a caller is who its certificate says; in plaintext interop, where it calls from
            CallerGate gate = new CallerGate(settings.tls().isEmpty(), settings.control().maxMessageBytes(), authorizer::get, denials, system,
                    principal -> {
                        // one budget per peer for both services
                        PeerLimits limits = settings.control().peerLimits();
                        RequestRate rate = new RequestRate(limits.requestsPerSecond(), limits.burst(), System::nanoTime);
                        return CallerGate.services(service.apply(new TunnelService(system, refs, settings, stats, served, principal,
                                authorizer::get, denials, rate)), new KeysService(principal, authorizer::get, denials, rate, stats,
                                refs.tunnels()), system);
                    });
            ServerBuilder server = Http.get(system).newServerAt(IpText.of(settings.grpcBind().getAddress()), settings.grpcBind().getPort());
            if (settings.tls().isPresent()) {
                // every caller must present a certificate from our CA (TLS 1.3, HTTP/2 by ALPN)
                GrpcTls tls = settings.tls().get();
                server = server.enableHttps(ConnectionContext.httpsServer(tls::newServerEngine));
            }
            ServerBinding binding = server
                    .bind(gate)
                    .toCompletableFuture().get(STARTUP.toSeconds(), TimeUnit.SECONDS);
            GatewayNode node = new GatewayNode(name, system, refs, poller, binding, dataplane, stats, perf, served);
            log.info("gateway {} up: gRPC on {}, uplink {}, {} peer(s) configured", name, IpText.of(binding.localAddress()),
                    IpText.of(settings.uplink()), settings.tunnels().peers().size());
            if (settings.staticTunnels()) {
                node.connectStatic(settings);
            }
            return node;
        } catch (Exception e) {
            system.terminate();
            throw e;
        }
    }

    /** The original's -z: every configured pair gets its tunnel now rather than on its first packet. */
    private void connectStatic(GatewaySettings settings) {
        List<FlowKey> pairs = new ArrayList<>();
        for (TunnelConfig.Peer peer : settings.tunnels().peers()) {
            for (TunnelConfig.Pair pair : peer.pairs()) {
                InetAddress local = pair.local() != null ? pair.local() : settings.localVips().stream().findFirst().orElse(null);
                if (local == null) {
                    log.warn("static tunnel to {}: the file names no local VIP and none is configured", IpText.of(pair.remote()));
                    continue;
                }
                pairs.add(FlowKey.of(local, pair.remote()));
            }
        }
        // one message, one session: it asks each peer once for all of that peer's pairs
        refs.missHandler().tell(new MissHandler.Ensure(pairs));
        log.info("gateway {}: {} static tunnel(s) requested", name, pairs.size());
    }

    /**
     * Completes when this gateway's actors have stopped: after {@link #close()}, or on their own
     * when the cluster downs this member (its coordinated shutdown terminates the ActorSystem).
     * On Pekko 1.2 this may never happen after a partition: Artery waits without a deadline for
     * its remoting streams to finish (apache/pekko#3247), so {@link #whenStopping()} is what a
     * caller that must act on the stop waits for.
     */
    public CompletionStage<Done> whenTerminated() {
        return system.getWhenTerminated();
    }

    /**
     * Completes, with the reason Pekko gives, as soon as this gateway's actors begin to stop:
     * {@link #close()}, a fatal error of the guardian, or the cluster downing this member. Unlike
     * {@link #whenTerminated()} it does not depend on the remoting transport finishing.
     */
    public CompletionStage<String> whenStopping() {
        return stopping;
    }

    /** Completes {@code stopping} when {@code system}'s coordinated shutdown begins, or now if it has. */
    private static void noteStopping(ActorSystem<?> system, CompletableFuture<String> stopping) {
        CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
        shutdown.addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "pspgw-note-stopping", () -> {
            stopping.complete(reason(shutdown));
            return CompletableFuture.completedFuture(Done.getInstance());
        });
        // a task added once the shutdown has begun is not run
        if (shutdown.getShutdownReason().isPresent()) {
            stopping.complete(reason(shutdown));
        }
    }

    private static String reason(CoordinatedShutdown shutdown) {
        return shutdown.getShutdownReason().map(Object::toString).orElse("unknown reason");
    }

    /**
     * The ActorSystem's configuration; for a clustered gateway with TLS material, Artery over
     * mutual TLS with that material ({@link ArteryTls}), so that only holders of a certificate of
     * the CA can reach the cluster.
     */
    private static ActorSystemSetup actorSystemSetup(GatewaySettings settings, Config config) {
        if (settings.cluster().isEmpty() || settings.tls().isEmpty()) {
            return ActorSystemSetup.create(BootstrapSetup.create(config));
        }
        GrpcTls tls = settings.tls().get();
        Config overTls = ConfigFactory.parseString("pekko.remote.artery.transport = tls-tcp").withFallback(config);
        return ActorSystemSetup.create(BootstrapSetup.create(overTls), SSLEngineProviderSetup.create(system -> new ArteryTls(tls)));
    }

    /** Cluster announcements this gateway did not believe (unsigned, forged, or claiming what their certificate does not allow). */
    public long announcementsRefused() {
        return refs.announcements().refused();
    }

    /** This gateway's ActorSystem, for tests in this package that act as the cluster would. */
    ActorSystem<Gateway.Command> actorSystem() {
        return system;
    }

    /** Where the gRPC server listens (the real port when 0 was asked for). */
    public InetSocketAddress grpcAddress() {
        return binding.localAddress();
    }

    public GatewayStats stats() {
        return stats;
    }

    public PerfCounters perf() {
        return perf;
    }

    public DataplaneOps dataplane() {
        return dataplane;
    }

    public String name() {
        return name;
    }

    /** The gateways this one knows from the cluster now, by id. */
    public List<String> clusterGateways() throws Exception {
        CompletionStage<List<String>> reply = AskPattern.ask(refs.directory(), PeerDirectory.GetClusterGateways::new,
                STARTUP, system.scheduler());
        return reply.toCompletableFuture().get(STARTUP.toSeconds(), TimeUnit.SECONDS);
    }

    /** Which gateway's gRPC address {@code vip} resolves to now, or null. */
    public InetSocketAddress resolve(InetAddress vip) throws Exception {
        CompletionStage<PeerDirectory.Resolved> reply = AskPattern.ask(refs.directory(),
                r -> new PeerDirectory.Resolve(vip, r), STARTUP, system.scheduler());
        return reply.toCompletableFuture().get(STARTUP.toSeconds(), TimeUnit.SECONDS).address();
    }

    /** Members of this gateway's cluster that are Up, as this gateway sees them (0 when not clustered). */
    public int clusterMembersUp() {
        if (refs.registry().isEmpty()) {
            return 0;
        }
        int up = 0;
        for (org.apache.pekko.cluster.Member m : org.apache.pekko.cluster.typed.Cluster.get(system).state().getMembers()) {
            up += m.status() == org.apache.pekko.cluster.MemberStatus.up() ? 1 : 0;
        }
        return up;
    }

    /**
     * Rotates this gateway's master keys (as the original's key rotation request does, and with
     * its peers told to re-key); the new generation, or why the rotation was refused.
     */
    public KeyRotator.Rotated rotateMasterKey() throws Exception {
        CompletionStage<KeyRotator.Rotated> reply = AskPattern.ask(refs.keys(), r -> new KeyRotator.Rotate("the operator", r),
                STARTUP, system.scheduler());
        return reply.toCompletableFuture().get(STARTUP.toSeconds(), TimeUnit.SECONDS);
    }

    /**
     * Ingress ACLs live now, as their owner ({@link IngressGrants}) counts them: every ACL of the
     * data plane must be one of them.
     */
    public int ingressGrants() throws Exception {
        return ask(r -> new IngressGrants.GetCount(r), refs.grants());
    }

    /** The live grants (every ingress ACL), as their owner lists them. */
    public List<IngressGrants.Grant> grants() throws Exception {
        CompletionStage<List<IngressGrants.Grant>> reply = AskPattern.ask(refs.grants(), IngressGrants.GetGrants::new,
                STARTUP, system.scheduler());
        return reply.toCompletableFuture().get(STARTUP.toSeconds(), TimeUnit.SECONDS);
    }

    /** Crypto slots held by sessions now. */
    public int slotsInUse() throws Exception {
        return ask(r -> new CryptoSlotPool.GetInUse(r), refs.slots());
    }

    /** The VIP pairs whose egress tunnel is established now, as their owner lists them. */
    public List<FlowKey> egressTunnels() throws Exception {
        CompletionStage<List<FlowKey>> reply = AskPattern.ask(refs.tunnels(), Tunnels.GetTunnels::new, STARTUP, system.scheduler());
        return reply.toCompletableFuture().get(STARTUP.toSeconds(), TimeUnit.SECONDS);
    }

    /**
     * Every ingress ACL handed to a peer now — for its requests, or as our set-ups' reverse
     * parameters — by (local VIP, remote VIP), with the packets each has let in.
     */
    public java.util.Map<FlowKey, Long> ingressTunnels() throws Exception {
        java.util.Map<FlowKey, Long> hits = new java.util.TreeMap<>(java.util.Comparator.comparing(FlowKey::toString));
        for (IngressGrants.Grant g : grants()) {
            var counters = dataplane.ingressAclCounters(g.spi(), g.source(), g.destination());
            hits.merge(FlowKey.of(g.destination(), g.source()), counters == null ? 0 : counters.packets(), Long::sum);
        }
        return hits;
    }

    /** How many egress tunnels are established now. */
    public int tunnelsUp() throws Exception {
        return egressTunnels().size();
    }

    private <C> int ask(java.util.function.Function<org.apache.pekko.actor.typed.ActorRef<Integer>, C> message,
                        org.apache.pekko.actor.typed.ActorRef<C> target) throws Exception {
        CompletionStage<Integer> reply = AskPattern.ask(target, message::apply, STARTUP, system.scheduler());
        return reply.toCompletableFuture().get(STARTUP.toSeconds(), TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        poller.close();
        try {
            binding.unbind().toCompletableFuture().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("gateway {}: gRPC server did not unbind cleanly: {}", name, e.toString());
        }
        system.terminate();
        try {
            system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("gateway {}: actors did not stop within 10 s; closing the data plane anyway", name);
        }
        dataplane.close();
        log.info("gateway {} stopped: {}", name, stats);
    }
}
