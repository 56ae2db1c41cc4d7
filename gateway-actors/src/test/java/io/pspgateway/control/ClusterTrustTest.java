package io.pspgateway.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.pspgateway.cluster.ClusterMembership;
import io.pspgateway.tls.ArteryTls;
import io.pspgateway.tls.Certificates;
import io.pspgateway.tls.GrpcTls;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.BootstrapSetup;
import org.apache.pekko.actor.setup.ActorSystemSetup;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.remote.artery.tcp.SSLEngineProviderSetup;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The cluster runs over mutual TLS with the gateways' material. Artery: a system that holds a
 * certificate of the CA for its address joins, and in the same run none joins that has no
 * certificate (plaintext Artery), one of another CA, or one of the CA for another address. Pekko
 * Management (bootstrap): answered over HTTPS to a holder of a certificate of the CA only.
 */
class ClusterTrustTest {

    /** A bare cluster node (no gateway) on {@code host} that joins {@code seed}, over TLS with {@code tls} or in plaintext. */
    private static ActorSystem<Void> node(String host, Address seed, Optional<GrpcTls> tls) {
        Config config = ClusterMembership.config(ConfigFactory.parseString(
                "pekko.remote.artery.canonical.hostname = \"" + host + "\"\npekko.remote.artery.canonical.port = 0\n"
                        + "pekko.cluster.seed-nodes = [\"" + seed + "\"]\npekko.remote.artery.transport = "
                        + (tls.isPresent() ? "tls-tcp" : "tcp")));
        ActorSystemSetup setup = ActorSystemSetup.create(BootstrapSetup.create(config));
        if (tls.isPresent()) {
            setup = setup.withSetup(SSLEngineProviderSetup.create(system -> new ArteryTls(tls.get())));
        }
        return ActorSystem.create(Behaviors.empty(), ClusterMembership.SYSTEM_NAME, setup);
    }

    private static Set<Address> members(ActorSystem<?> system) {
        return StreamSupport.stream(Cluster.get(system).state().getMembers().spliterator(), false)
                .filter(m -> m.status() == MemberStatus.up())
                .map(m -> m.address()).collect(Collectors.toSet());
    }

    @Test
    void onlyAHolderOfACertificateOfTheCaForItsAddressJoins() throws Exception {
        try (LocalCluster c = LocalCluster.startClustered(2, 1, ConfigFactory.empty())) {
            ActorSystem<?> seedSystem = c.get(0).node().actorSystem();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (members(seedSystem).size() != 2) {
                assertTrue(System.nanoTime() < deadline, "the two gateways never formed the cluster over TLS");
                Thread.sleep(50);
            }
            Address seed = Cluster.get(seedSystem).selfMember().address();
            InetAddress legitHost = InetAddress.ofLiteral("127.0.0.20");
            GrpcTls legit = c.material(c.issue("gw20", List.of(legitHost), Duration.ofDays(1)));
            Certificates.Issued otherCa = Certificates.newAuthority("another CA", Duration.ofDays(1));
            Certificates.Issued foreign = Certificates.issue(otherCa, "gw21", List.of(InetAddress.ofLiteral("127.0.0.21")),
                    Duration.ofDays(1));
            GrpcTls foreignMaterial = GrpcTls.of(List.of(c.authority().certificate()), List.of(foreign.certificate()), foreign.key());
            // a certificate of the CA, but for another address than the one the system announces
            GrpcTls elsewhere = c.material(c.issue("gw22", List.of(InetAddress.ofLiteral("127.0.0.99")), Duration.ofDays(1)));

            List<ActorSystem<Void>> started = new ArrayList<>();
            try {
                ActorSystem<Void> member = node("127.0.0.20", seed, Optional.of(legit));
                started.add(member);
                List<ActorSystem<Void>> intruders = List.of(node("127.0.0.23", seed, Optional.empty()),
                        node("127.0.0.21", seed, Optional.of(foreignMaterial)), node("127.0.0.22", seed, Optional.of(elsewhere)));
                started.addAll(intruders);

                Address memberAddress = Cluster.get(member).selfMember().address();
                deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!members(seedSystem).contains(memberAddress)) {
                    assertTrue(System.nanoTime() < deadline, "the holder of a certificate of the CA never joined: " + members(seedSystem));
                    Thread.sleep(50);
                }
                // the intruders have had as long as the member took, and more: none is a member
                Thread.sleep(5_000);
                Set<Address> intruderAddresses = intruders.stream().map(s -> Cluster.get(s).selfMember().address())
                        .collect(Collectors.toSet());
                Set<Address> up = members(seedSystem);
                assertEquals(3, up.size(), "the two gateways and the member, no intruder: " + up);
                assertTrue(up.stream().noneMatch(intruderAddresses::contains), up.toString());
                for (ActorSystem<Void> intruder : intruders) {
                    assertTrue(members(intruder).isEmpty(), intruder + " believes it joined: " + members(intruder));
                }
            } finally {
                started.forEach(ActorSystem::terminate);
            }
        }
    }

    @Test
    void bootstrapManagementAnswersOnlyOverHttpsToAHolderOfACertificateOfTheCa() throws Exception {
        Config quick = ConfigFactory.parseString("""
                pekko.management.cluster.bootstrap.contact-point-discovery.stable-margin = 1s
                pekko.management.cluster.bootstrap.contact-point-discovery.interval = 500ms
                """);
        ActorSystem<Void> clients = ActorSystem.create(Behaviors.empty(), "management-callers");
        try (LocalCluster c = LocalCluster.startBootstrapped(2, 1, quick)) {
            GatewayNode gw0 = c.get(0).node();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (gw0.clusterMembersUp() != 2) {
                assertTrue(System.nanoTime() < deadline, "the two gateways never bootstrapped a cluster over HTTPS");
                Thread.sleep(50);
            }
            Config settings = gw0.actorSystem().settings().config();
            String endpoint = settings.getString("pekko.management.http.hostname") + ":" + settings.getInt("pekko.management.http.port")
                    + "/bootstrap/seed-nodes";
            org.apache.pekko.http.javadsl.Http http = org.apache.pekko.http.javadsl.Http.get(clients);
            javax.net.ssl.SSLContext withCertificate = c.material(c.issue("gw30", List.of(InetAddress.ofLiteral("127.0.0.30")),
                    Duration.ofDays(1))).context();
            var answered = http.singleRequest(org.apache.pekko.http.javadsl.model.HttpRequest.GET("https://" + endpoint),
                    org.apache.pekko.http.javadsl.ConnectionContext.httpsClient(withCertificate)).toCompletableFuture().get(15, TimeUnit.SECONDS);
            assertEquals(200, answered.status().intValue(), "a holder of a certificate of the CA is answered");
            answered.discardEntityBytes(clients);

            // trusting the CA but presenting no certificate: refused in the handshake
            java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("ca", c.authority().certificate());
            javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance("PKIX");
            tmf.init(trust);
            javax.net.ssl.SSLContext anonymous = javax.net.ssl.SSLContext.getInstance("TLSv1.3");
            anonymous.init(null, tmf.getTrustManagers(), null);
            assertThrowsWithin(http.singleRequest(org.apache.pekko.http.javadsl.model.HttpRequest.GET("https://" + endpoint),
                    org.apache.pekko.http.javadsl.ConnectionContext.httpsClient(anonymous)), "a caller without a certificate");
            assertThrowsWithin(http.singleRequest(org.apache.pekko.http.javadsl.model.HttpRequest.GET("http://" + endpoint)),
                    "a plain HTTP caller");
        } finally {
            clients.terminate();
        }
    }

    /** Gateway i's material from {@code ca}: DNS SAN {@code id}, IP SAN 127.0.0.(i+1), allowed to announce {@code allowed}. */
    private static GrpcTls material(Certificates.Issued ca, int i, String id, List<String> allowed) {
        Certificates.Issued own = Certificates.issue(ca, id, List.of(InetAddress.ofLiteral("127.0.0." + (i + 1))), allowed,
                Duration.ofDays(1));
        try {
            return GrpcTls.of(List.of(ca.certificate()), List.of(own.certificate()), own.key());
        } catch (java.security.GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aGatewayWhoseCertificateDoesNotNameItsIdOrAllowItsPrefixesDoesNotStart() {
        Certificates.Issued ca = Certificates.newAuthority("start refusal test CA", Duration.ofDays(1));
        // gateway 1 is gw1, but its certificate was issued for gw9: the others would not know it by its id
        IllegalArgumentException misnamed = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> LocalCluster.startClusteredWithTls(2, 1, i -> material(ca, i, i == 1 ? "gw9" : "gw" + i, List.of(LocalCluster.TEST_VIPS)))
                        .close());
        assertTrue(misnamed.getMessage().startsWith("gateway id gw1 is not a DNS name of the certificate (its DNS names: [gw9])"),
                misnamed.getMessage());
        // gateway 1 serves 10.2.0.0/24, but its certificate allows another prefix only
        IllegalArgumentException unallowed = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> LocalCluster.startClusteredWithTls(2, 1, i -> material(ca, i, "gw" + i, List.of(i == 1 ? "10.9.0.0/16" : LocalCluster.TEST_VIPS)))
                        .close());
        assertTrue(unallowed.getMessage().startsWith("this gateway would announce 10.2.0.0/24, which its certificate does not allow "
                + "(it allows [10.9.0.0/16])"), unallowed.getMessage());
    }

    @Test
    void aMemberAnnouncingWhatItsCertificateDoesNotAllowIsIgnoredByTheOthers() throws Exception {
        Certificates.Issued ca = Certificates.newAuthority("announcement policy test CA", Duration.ofDays(1));
        // each gateway may announce its own /24 and nothing else
        try (LocalCluster c = LocalCluster.startClusteredWithTls(3, 1, i -> material(ca, i, "gw" + i, List.of("10." + (i + 1) + ".0.0/24")))) {
            GatewayNode gw0 = c.get(0).node();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (gw0.clusterGateways().size() != 2) {
                assertTrue(System.nanoTime() < deadline, "members " + members(gw0.actorSystem()) + ", view " + gw0.clusterGateways());
                Thread.sleep(50);
            }
            // gw2 goes on to claim gw1's prefix as well, as a gateway run with other code could: the
            // signature is good, the certificate does not allow it, so none of it is believed
            c.get(2).node().announce(io.pspgateway.cluster.VipPrefixes.parse(List.of("10.3.0.0/24", "10.2.0.0/24")));
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (gw0.announcementsRefused() == 0 || !gw0.clusterGateways().equals(List.of("gw1"))) {
                assertTrue(System.nanoTime() < deadline, "refused " + gw0.announcementsRefused() + ", view " + gw0.clusterGateways());
                Thread.sleep(50);
            }
            assertEquals(3, members(gw0.actorSystem()).size(), "gw2 is a member, but what it announces is not believed");
            // traffic to gw2's VIP finds no gateway serving it: a counted drop, no request to gw2
            LocalCluster.Member a = c.get(0);
            a.host().send(io.pspgateway.psp.InnerPackets.udp(a.vip(), c.get(2).vip(), 1));
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (gw0.stats().dropped(GatewayStats.HoldDrop.NO_PEER) == 0) {
                assertTrue(System.nanoTime() < deadline, "no counted drop for gw2's VIP");
                Thread.sleep(20);
            }
            assertEquals(0, c.get(2).node().stats().tunnelsServed());
            // and gw1, still the only believed owner of 10.2.0.0/24, is tunnelled to
            a.host().send(io.pspgateway.psp.InnerPackets.udp(a.vip(), c.get(1).vip(), 2));
            assertEquals(2, io.pspgateway.psp.InnerPackets.sequence(c.get(1).host().take(10_000)));
        }
    }

    @Test
    void aPrefixTwoMembersMayBothClaimIsUsedForNeitherUntilOneLetsGo() throws Exception {
        Logger directory = (Logger) LoggerFactory.getLogger(PeerDirectory.class);
        ListAppender<ILoggingEvent> warnings = new ListAppender<>();
        warnings.start();
        directory.addAppender(warnings);
        // every certificate allows all test VIPs: both claims below are signed and allowed
        try (LocalCluster c = LocalCluster.startClustered(3, 1, ConfigFactory.empty())) {
            c.awaitClusterViews(30_000);
            LocalCluster.Member a = c.get(0);
            GatewayNode gw0 = a.node();
            c.get(1).node().announce(io.pspgateway.cluster.VipPrefixes.parse(List.of("10.2.0.0/24", "10.3.0.0/24")));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (warnings.list.stream().noneMatch(e -> e.getFormattedMessage().startsWith("VIP prefix 10.3.0.0/24 is claimed by both"))) {
                assertTrue(System.nanoTime() < deadline, "the conflict over 10.3.0.0/24 was never reported");
                Thread.sleep(20);
            }
            assertEquals(0, gw0.announcementsRefused(), "both claims are signed and allowed");
            a.host().send(io.pspgateway.psp.InnerPackets.udp(a.vip(), c.get(2).vip(), 1));
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (gw0.stats().dropped(GatewayStats.HoldDrop.NO_PEER) == 0) {
                assertTrue(System.nanoTime() < deadline, "no counted drop for the contested VIP");
                Thread.sleep(20);
            }
            assertEquals(0, c.get(1).node().stats().tunnelsServed() + c.get(2).node().stats().tunnelsServed(),
                    "neither claimant was asked for a tunnel");
            // gw1 lets go: the prefix is gw2's again, and traffic to it arrives there
            c.get(1).node().announce(io.pspgateway.cluster.VipPrefixes.parse(List.of("10.2.0.0/24")));
            byte[] arrived = null;
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            for (int seq = 2; arrived == null && System.nanoTime() < deadline; seq++) {
                a.host().send(io.pspgateway.psp.InnerPackets.udp(a.vip(), c.get(2).vip(), seq));
                arrived = c.get(2).host().take(200);
            }
            assertTrue(arrived != null, "traffic to 10.3.0.1 reached gw2 once gw1 let go");
            assertEquals(0, c.get(1).node().stats().tunnelsServed(), "gw1 was never asked for the contested prefix");
        } finally {
            directory.detachAppender(warnings);
        }
    }

    private static void assertThrowsWithin(java.util.concurrent.CompletionStage<org.apache.pekko.http.javadsl.model.HttpResponse> call,
                                           String who) throws Exception {
        try {
            var response = call.toCompletableFuture().get(15, TimeUnit.SECONDS);
            throw new AssertionError(who + " was answered: " + response.status());
        } catch (java.util.concurrent.ExecutionException refused) {
            // the connection failed: nothing was answered
        }
    }
}
