package io.pspgateway.cluster;

import io.pspgateway.tls.GrpcTls;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts Pekko Management and Cluster Bootstrap when the configuration says to join that way
 * ({@code pspgw.cluster.join = bootstrap}, pspgw-cluster.conf); with seed nodes Pekko Cluster
 * joins by itself and this does nothing. With TLS material, management answers over HTTPS and
 * only to callers presenting a certificate of the CA, and the bootstrap's probes of the other
 * contact points present ours and trust only the CA (they use the ActorSystem's default client
 * HTTPS context, which is set to that).
 */
public final class ClusterBootstrapper {
    private static final Logger log = LoggerFactory.getLogger(ClusterBootstrapper.class);
    private static final Duration BIND = Duration.ofSeconds(10);

    private ClusterBootstrapper() {
    }

    /**
     * Starts bootstrap on {@code system} if configured, over HTTPS with {@code tls} when present.
     *
     * @throws IllegalArgumentException when both seed nodes and bootstrap are configured, or the join mode is unknown
     */
    public static void startIfConfigured(ActorSystem<?> system, Optional<GrpcTls> tls) throws Exception {
        var config = system.settings().config();
        String join = config.getString("pspgw.cluster.join");
        boolean seeds = !config.getStringList("pekko.cluster.seed-nodes").isEmpty();
        switch (join) {
            case "seed-nodes" -> {
                return;
            }
            case "bootstrap" -> {
                if (seeds) {
                    throw new IllegalArgumentException("pspgw.cluster.join = bootstrap and pekko.cluster.seed-nodes are both set: "
                            + "a gateway joins one way (use --cluster-bootstrap or --cluster-seed, not both)");
                }
            }
            default -> throw new IllegalArgumentException("pspgw.cluster.join must be seed-nodes or bootstrap, got '" + join + "'");
        }
        PekkoManagement management = PekkoManagement.get(system.classicSystem());
        CompletionStage<Uri> started;
        if (tls.isPresent()) {
            GrpcTls material = tls.get();
            Http.get(system).setDefaultClientHttpsContext(ConnectionContext.httpsClient(material.context()));
            started = management.start(settings -> settings.withHttpsConnectionContext(
                    ConnectionContext.httpsServer(material::newClientAuthenticatingEngine)));
        } else {
            started = management.start();
        }
        var uri = started.toCompletableFuture().get(BIND.toSeconds(), TimeUnit.SECONDS);
        ClusterBootstrap.get(system.classicSystem()).start();
        log.info("cluster bootstrap started: management on {}, discovery '{}' of service '{}', {} contact point(s) required", uri,
                config.getString("pekko.management.cluster.bootstrap.contact-point-discovery.discovery-method"),
                config.getString("pekko.management.cluster.bootstrap.contact-point-discovery.service-name"),
                config.getInt("pekko.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr"));
    }
}
