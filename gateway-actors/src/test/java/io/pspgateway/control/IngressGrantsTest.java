package io.pspgateway.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

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

    @Test
    void everyGrantOfAGoneGatewayIsClosedAndNoOtherOne() throws Exception {
        TestProbe<DataplaneActor.Command> dataplane = testKit.createTestProbe();
        ActorRef<IngressGrants.Command> grants = testKit.spawn(IngressGrants.create(dataplane.getRef(), java.time.Duration.ZERO));
        InetAddress peerVip = PEER_VIP;
        InetAddress otherPeerVip = InetAddress.getByName("10.3.0.1");
        InetAddress ours = OURS;
        InetAddress peer = PEER;
        InetAddress otherPeer = InetAddress.getByName("198.51.100.3");
        grants.tell(new IngressGrants.Owners(vip -> vip.equals(peerVip) ? peer : vip.equals(otherPeerVip) ? otherPeer : null));

        grants.tell(new IngressGrants.Granted(List.of(new IngressGrants.Grant(7, peerVip, ours))));
        // the peer asked again (a retry): both grants stay, requests may have arrived out of order
        grants.tell(new IngressGrants.Granted(List.of(new IngressGrants.Grant(8, peerVip, ours),
                new IngressGrants.Grant(9, otherPeerVip, ours))));
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
        ActorRef<IngressGrants.Command> grants = testKit.spawn(IngressGrants.create(dataplane.getRef(), java.time.Duration.ZERO));
        grants.tell(new IngressGrants.Owners(vip -> PEER));
        int keyZero = 0x0000_0011;
        int keyOne = 0x8000_0012;
        grants.tell(new IngressGrants.Granted(List.of(new IngressGrants.Grant(keyZero, PEER_VIP, OURS),
                new IngressGrants.Grant(keyOne, PEER_VIP, OURS))));

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
        ActorRef<IngressGrants.Command> grants = testKit.spawn(IngressGrants.create(dataplane.getRef(), IDLE_CLOSE));
        InetAddress ours = InetAddress.getByName("10.1.0.1");
        InetAddress busy = InetAddress.getByName("10.2.0.1");
        InetAddress quiet = InetAddress.getByName("10.2.0.2");
        InetAddress lone = InetAddress.getByName("10.2.0.3");
        IngressGrants.Grant abandoned = new IngressGrants.Grant(1, busy, ours);
        IngressGrants.Grant used = new IngressGrants.Grant(2, busy, ours);
        grants.tell(new IngressGrants.Granted(List.of(abandoned, used, new IngressGrants.Grant(3, quiet, ours),
                new IngressGrants.Grant(4, quiet, ours), new IngressGrants.Grant(5, lone, ours))));

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
        ActorRef<IngressGrants.Command> grants = testKit.spawn(IngressGrants.create(dataplane.getRef(), IDLE_CLOSE));
        List<IngressGrants.Grant> all = new java.util.ArrayList<>(n);
        for (int spi = 1; spi <= n; spi++) {
            all.add(new IngressGrants.Grant(spi, PEER_VIP, OURS));
        }
        grants.tell(new IngressGrants.Granted(all));
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
