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
    public final ActorTestKit testKit = new JUnit5TestKitBuilder().withName("ingress-grants").build();

    @Test
    void everyGrantOfAGoneGatewayIsClosedAndNoOtherOne() throws Exception {
        TestProbe<DataplaneActor.Command> dataplane = testKit.createTestProbe();
        ActorRef<IngressGrants.Command> grants = testKit.spawn(IngressGrants.create(dataplane.getRef()));
        InetAddress peerVip = InetAddress.getByName("10.2.0.1");
        InetAddress otherPeerVip = InetAddress.getByName("10.3.0.1");
        InetAddress ours = InetAddress.getByName("10.1.0.1");
        InetAddress peer = InetAddress.getByName("198.51.100.2");
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
        ActorRef<IngressGrants.Command> grants = testKit.spawn(IngressGrants.create(dataplane.getRef()));
        InetAddress peerVip = InetAddress.getByName("10.2.0.1");
        InetAddress ours = InetAddress.getByName("10.1.0.1");
        InetAddress peer = InetAddress.getByName("198.51.100.2");
        grants.tell(new IngressGrants.Owners(vip -> peer));
        int keyZero = 0x0000_0011;
        int keyOne = 0x8000_0012;
        grants.tell(new IngressGrants.Granted(List.of(new IngressGrants.Grant(keyZero, peerVip, ours),
                new IngressGrants.Grant(keyOne, peerVip, ours))));

        grants.tell(new IngressGrants.KeyRetired(0));
        DataplaneActor.CloseAcls retired = (DataplaneActor.CloseAcls) dataplane.receiveMessage();
        assertEquals(List.of(keyZero), retired.spis(), "only the SPI of the retired key (bit 31 = 0)");

        // when the peer leaves, only what is still live is closed
        grants.tell(new IngressGrants.PeerGone(peer));
        assertEquals(List.of(keyOne), ((DataplaneActor.CloseAcls) dataplane.receiveMessage()).spis());
        TestProbe<Integer> count = testKit.createTestProbe();
        grants.tell(new IngressGrants.GetCount(count.getRef()));
        assertEquals(0, count.receiveMessage());
    }
}
