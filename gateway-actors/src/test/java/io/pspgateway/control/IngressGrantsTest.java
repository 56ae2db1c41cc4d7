package io.pspgateway.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** Ingress ACLs handed out to peers have an owner: all of a gateway's are closed when it leaves, no other. */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IngressGrantsTest {
    @JUnit5TestKit
    public final ActorTestKit testKit = new JUnit5TestKitBuilder().withName("ingress-grants").withCustomConfig(SetupProbes.manualTime()).build();

    private final org.apache.pekko.actor.testkit.typed.javadsl.ManualTime time =
            org.apache.pekko.actor.testkit.typed.javadsl.ManualTime.get(testKit.system());
    private static final java.time.Duration IDLE_CLOSE = java.time.Duration.ofMillis(400);

    private static final InetAddress PEER_VIP = io.pspgateway.config.HostPort.ip("10.2.0.1");
    private static final InetAddress OURS = io.pspgateway.config.HostPort.ip("10.1.0.1");
    private static final InetAddress PEER = io.pspgateway.config.HostPort.ip("198.51.100.2");

    private ActorRef<IngressGrants.Command> spawn(TestProbe<DataplaneActor.Command> dataplane, java.time.Duration idleClose) {
        return spawn(dataplane, idleClose, new PeerLimits(200, 400, 1 << 20, 1 << 20, 1 << 20), new GatewayStats());
    }

    private ActorRef<IngressGrants.Command> spawn(TestProbe<DataplaneActor.Command> dataplane, java.time.Duration idleClose,
                                                  PeerLimits limits, GatewayStats stats) {
        return testKit.spawn(IngressGrants.create(dataplane.getRef(), idleClose, limits, stats));
    }

    /**
     * Opens {@code opened} for {@code peer} the way the TunnelService does, the data plane (the probe)
     * minting exactly these SPIs; returns the mint the grants actor asked the data plane for.
     */
    private DataplaneActor.MintAndOpen open(ActorRef<IngressGrants.Command> grants, TestProbe<DataplaneActor.Command> dataplane,
                                            String peer, List<IngressGrants.Grant> opened) {
        TestProbe<DataplaneActor.Minted> asker = testKit.createTestProbe();
        grants.tell(new IngressGrants.Open(peer, pairs(opened), io.pspgateway.psp.PspVersion.V1, asker.getRef()));
        DataplaneActor.MintAndOpen mint = dataplane.expectMessageClass(DataplaneActor.MintAndOpen.class);
        assertEquals(pairs(opened), mint.pairs());
        mint.owner().tell(new IngressGrants.Granted(peer, mint.pairs().size(), opened));
        return mint;
    }

    private static List<DataplaneActor.AclPair> pairs(List<IngressGrants.Grant> grants) {
        return grants.stream().map(g -> new DataplaneActor.AclPair(g.source(), g.destination())).toList();
    }

    private static List<IngressGrants.Grant> grantsTo(int firstSpi, int n) {
        List<IngressGrants.Grant> out = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new IngressGrants.Grant(firstSpi + i, PEER_VIP, OURS));
        }
        return out;
    }

    /** Asks for {@code n} grants for {@code peer} expecting a refusal: returns its message, the data plane never asked. */
    private String refused(ActorRef<IngressGrants.Command> grants, TestProbe<DataplaneActor.Command> dataplane, String peer, int n) {
        TestProbe<DataplaneActor.Minted> asker = testKit.createTestProbe();
        grants.tell(new IngressGrants.Open(peer, pairs(grantsTo(1000, n)), io.pspgateway.psp.PspVersion.V1, asker.getRef()));
        DataplaneActor.Minted answer = asker.receiveMessage();
        assertEquals(List.of(), answer.keys());
        assertEquals(io.pspgateway.dataplane.DataplaneException.Kind.RESOURCE_EXHAUSTED, answer.failure().kind());
        dataplane.expectNoMessage(java.time.Duration.ofMillis(50));
        return answer.failure().getMessage();
    }

    @Test
    void aPeerPastItsGrantsIsRefusedMintingNothingWhileAnotherPeerIsServed() {
        TestProbe<DataplaneActor.Command> dataplane = testKit.createTestProbe();
        GatewayStats stats = new GatewayStats();
        ActorRef<IngressGrants.Command> grants = spawn(dataplane, java.time.Duration.ZERO, new PeerLimits(200, 400, 3, 8, 100), stats);
        grants.tell(new IngressGrants.Owners(vip -> PEER));
        open(grants, dataplane, "peer a", grantsTo(1, 2));
        String why = refused(grants, dataplane, "peer a", 2);
        assertTrue(why.contains("grants-per-peer"), why);
        open(grants, dataplane, "peer b", grantsTo(10, 3));
        open(grants, dataplane, null, grantsTo(20, 5)); // our own set-ups count against no peer
        assertEquals(java.util.Map.of("peer a", java.util.Map.of(PeerLimits.Limit.GRANTS, 1L)), stats.limitedByPeer());

        // a's grants closed (its gateway left): it may hold grants again
        grants.tell(new IngressGrants.PeerGone(PEER));
        dataplane.expectMessageClass(DataplaneActor.CloseAcls.class);
        open(grants, dataplane, "peer a", grantsTo(30, 3));
    }

    @Test
    void grantsBeingOpenedCountSoThatRequestsInFlightCannotOvershoot() {
        TestProbe<DataplaneActor.Command> dataplane = testKit.createTestProbe();
        ActorRef<IngressGrants.Command> grants = spawn(dataplane, java.time.Duration.ZERO, new PeerLimits(200, 400, 3, 8, 100),
                new GatewayStats());
        TestProbe<DataplaneActor.Minted> asker = testKit.createTestProbe();
        grants.tell(new IngressGrants.Open("peer a", pairs(grantsTo(1, 2)), io.pspgateway.psp.PspVersion.V1, asker.getRef()));
        DataplaneActor.MintAndOpen inFlight = dataplane.expectMessageClass(DataplaneActor.MintAndOpen.class);
        refused(grants, dataplane, "peer a", 2);
        // the data plane failed that mint: those grants are held no more
        inFlight.owner().tell(new IngressGrants.Granted("peer a", 2, List.of()));
        open(grants, dataplane, "peer a", grantsTo(5, 3));
    }

    @Test
    void allIngressAclsTogetherAreBoundedForPeersAndOurOwnSetUps() {
        TestProbe<DataplaneActor.Command> dataplane = testKit.createTestProbe();
        GatewayStats stats = new GatewayStats();
        ActorRef<IngressGrants.Command> grants = spawn(dataplane, java.time.Duration.ZERO, new PeerLimits(200, 400, 10, 8, 4), stats);
        open(grants, dataplane, null, grantsTo(1, 3));
        String why = refused(grants, dataplane, "peer b", 2);
        assertTrue(why.contains("ingress-acls"), why);
        refused(grants, dataplane, null, 2);
        open(grants, dataplane, "peer b", grantsTo(10, 1));
        assertEquals(java.util.Map.of("peer b", java.util.Map.of(PeerLimits.Limit.INGRESS_ACLS, 1L)), stats.limitedByPeer());
    }

    @Test
    void everyGrantOfAGoneGatewayIsClosedAndNoOtherOne() throws Exception {
        TestProbe<DataplaneActor.Command> dataplane = testKit.createTestProbe();
        ActorRef<IngressGrants.Command> grants = spawn(dataplane, java.time.Duration.ZERO);
        InetAddress peerVip = PEER_VIP;
        InetAddress otherPeerVip = InetAddress.getByName("10.3.0.1");
        InetAddress ours = OURS;
        InetAddress peer = PEER;
        InetAddress otherPeer = InetAddress.getByName("198.51.100.3");
        grants.tell(new IngressGrants.Owners(vip -> vip.equals(peerVip) ? peer : vip.equals(otherPeerVip) ? otherPeer : null));

        open(grants, dataplane, null, List.of(new IngressGrants.Grant(7, peerVip, ours)));
        // the peer asked again (a retry): both grants stay, requests may have arrived out of order
        open(grants, dataplane, null, List.of(new IngressGrants.Grant(8, peerVip, ours),
                new IngressGrants.Grant(9, otherPeerVip, ours)));
        dataplane.expectNoMessage(java.time.Duration.ofMillis(100));

        grants.tell(new IngressGrants.PeerGone(peer));
        DataplaneActor.CloseAcls gone = (DataplaneActor.CloseAcls) dataplane.receiveMessage();
        assertEquals(java.util.Set.of(7, 8), new java.util.HashSet<>(gone.spis()), "the gone peer's grants, not the other's");
        assertEquals(List.of(new DataplaneActor.AclPair(peerVip, ours), new DataplaneActor.AclPair(peerVip, ours)), gone.pairs());

        TestProbe<Integer> count = testKit.createTestProbe();
        grants.tell(new IngressGrants.GetCount(count.getRef()));
        assertEquals(1, count.receiveMessage());
        grants.tell(new IngressGrants.PeerGone(peer));
        dataplane.expectNoMessage(java.time.Duration.ofMillis(200));
    }

    @Test
    void grantsOfARetiredMasterKeyAreClosedAndForgottenByTheirOwner() throws Exception {
        TestProbe<DataplaneActor.Command> dataplane = testKit.createTestProbe();
        ActorRef<IngressGrants.Command> grants = spawn(dataplane, java.time.Duration.ZERO);
        grants.tell(new IngressGrants.Owners(vip -> PEER));
        int keyZero = 0x0000_0011;
        int keyOne = 0x8000_0012;
        open(grants, dataplane, null, List.of(new IngressGrants.Grant(keyZero, PEER_VIP, OURS),
                new IngressGrants.Grant(keyOne, PEER_VIP, OURS)));

        grants.tell(new IngressGrants.KeyRetired(0));
        DataplaneActor.CloseAcls retired = (DataplaneActor.CloseAcls) dataplane.receiveMessage();
        assertEquals(List.of(keyZero), retired.spis(), "only the SPI of the retired key (bit 31 = 0)");

        // when the peer leaves, only what is still live is closed
        grants.tell(new IngressGrants.PeerGone(PEER));
        assertEquals(List.of(keyOne), ((DataplaneActor.CloseAcls) dataplane.receiveMessage()).spis());
        TestProbe<Integer> count = testKit.createTestProbe();
        grants.tell(new IngressGrants.GetCount(count.getRef()));
        assertEquals(0, count.receiveMessage());
    }

    @Test
    void aGrantIdleWhileAnotherOfItsPairCarriesTrafficIsClosedAndAQuietPairKeepsBoth() throws Exception {
        TestProbe<DataplaneActor.Command> dataplane = testKit.createTestProbe();
        ActorRef<IngressGrants.Command> grants = spawn(dataplane, IDLE_CLOSE);
        InetAddress ours = InetAddress.getByName("10.1.0.1");
        InetAddress busy = InetAddress.getByName("10.2.0.1");
        InetAddress quiet = InetAddress.getByName("10.2.0.2");
        InetAddress lone = InetAddress.getByName("10.2.0.3");
        IngressGrants.Grant abandoned = new IngressGrants.Grant(1, busy, ours);
        IngressGrants.Grant used = new IngressGrants.Grant(2, busy, ours);
        open(grants, dataplane, null, List.of(abandoned, used, new IngressGrants.Grant(3, quiet, ours),
                new IngressGrants.Grant(4, quiet, ours), new IngressGrants.Grant(5, lone, ours)));

        // the sweeps (every half idle-close) read the counters of pairs with more than one grant; only SPI 2 carries traffic
        long usedPackets = 0;
        DataplaneActor.CloseAcls closed = null;
        int sweeps = 0;
        for (; sweeps < 20 && closed == null; sweeps++) {
            time.timePasses(IDLE_CLOSE.dividedBy(2));
            DataplaneActor.Command c = dataplane.receiveMessage();
            if (c instanceof DataplaneActor.CountAclPackets count) {
                assertEquals(java.util.Set.of(1, 2, 3, 4), count.grants().stream().map(IngressGrants.Grant::spi)
                        .collect(java.util.stream.Collectors.toSet()), "a grant alone in its pair is not read");
                usedPackets += 10;
                long[] packets = new long[count.grants().size()];
                for (int i = 0; i < packets.length; i++) {
                    packets[i] = count.grants().get(i).equals(used) ? usedPackets : 0;
                }
                count.replyTo().tell(new DataplaneActor.AclPackets(count.grants(), packets));
            } else {
                closed = (DataplaneActor.CloseAcls) c;
            }
        }
        assertEquals(List.of(1), closed == null ? null : closed.spis(), "only the busy pair's idle grant is closed");
        // closed after the sweep that read it idle for the whole idle-close (three sweeps), with its reply
        assertEquals(4, sweeps, "closed at the first sweep that saw it idle for idle-close, not before");
        TestProbe<Integer> count = testKit.createTestProbe();
        grants.tell(new IngressGrants.GetCount(count.getRef()));
        assertEquals(4, count.receiveMessage());
    }

    @Test
    void aPairGrantedTensOfThousandsOfTimesIsSweptWithoutStalling() throws Exception {
        // a peer may name one pair in every tunnel of many requests: each is a grant of that pair;
        // a sweep that looked each one up along the pair's chain would stall this actor for minutes
        int n = 60_000;
        TestProbe<DataplaneActor.Command> dataplane = testKit.createTestProbe();
        ActorRef<IngressGrants.Command> grants = spawn(dataplane, IDLE_CLOSE);
        List<IngressGrants.Grant> all = new java.util.ArrayList<>(n);
        for (int spi = 1; spi <= n; spi++) {
            all.add(new IngressGrants.Grant(spi, PEER_VIP, OURS));
        }
        open(grants, dataplane, null, all);
        IngressGrants.Grant used = all.get(n / 2);

        long usedPackets = 0;
        DataplaneActor.CloseAcls closed = null;
        for (int sweep = 0; sweep < 20 && closed == null; sweep++) {
            time.timePasses(IDLE_CLOSE.dividedBy(2));
            DataplaneActor.Command c = dataplane.receiveMessage(java.time.Duration.ofSeconds(5));
            if (c instanceof DataplaneActor.CountAclPackets count) {
                assertEquals(n, count.grants().size());
                usedPackets += 10;
                long[] packets = new long[n];
                packets[count.grants().indexOf(used)] = usedPackets;
                count.replyTo().tell(new DataplaneActor.AclPackets(count.grants(), packets));
            } else {
                closed = (DataplaneActor.CloseAcls) c;
            }
        }
        assertEquals(n - 1, closed == null ? 0 : closed.spis().size(), "every idle grant of the pair is closed");
        TestProbe<List<IngressGrants.Grant>> left = testKit.createTestProbe();
        grants.tell(new IngressGrants.GetGrants(left.getRef()));
        assertEquals(List.of(used), left.receiveMessage(java.time.Duration.ofSeconds(5)));
    }
}
