package io.pspgateway.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.grpc.Status;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
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

/** A peer that cannot be reached: retries with backoff, then the circuit opens and requests fail at once. */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PeerTest {
    @JUnit5TestKit
    public final ActorTestKit testKit = new JUnit5TestKitBuilder().withName("peer-test").build();

    @Test
    void anUnreachablePeerIsRetriedThenTheCircuitOpens() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        ControlSettings settings = ControlSettings.from(ConfigFactory.parseString("""
                pspgw { coalesce-window = 1ms, grpc { request-timeout = 1s, retries = 1, backoff-min = 10ms,
                        backoff-max = 20ms, breaker-failures = 2, breaker-reset = 30s } }
                """).withFallback(ConfigFactory.load()));
        GatewayStats stats = new GatewayStats();
        ActorRef<Peer.Command> peer = testKit.spawn(Peer.create(new InetSocketAddress("127.0.0.1", closedPort), settings, PeerDialing.PLAINTEXT_ANY_SOURCE,
                List.of(1, 0), stats));
        TestProbe<Peer.TunnelReplies> reply = testKit.createTestProbe();
        InetAddress a = InetAddress.getByName("10.1.0.1");
        InetAddress b = InetAddress.getByName("10.2.0.1");

        peer.tell(new Peer.RequestTunnels(List.of(new Peer.Wanted(a, b, null)), reply.getRef()));
        Peer.TunnelReply first = reply.receiveMessage(Duration.ofSeconds(15)).replies().getFirst();
        assertEquals(Status.Code.UNAVAILABLE, first.failure().getCode());
        assertEquals(2, stats.grpcCalls(), "the first call and one retry");

        peer.tell(new Peer.RequestTunnels(List.of(new Peer.Wanted(a, b, null)), reply.getRef()));
        Peer.TunnelReply second = reply.receiveMessage(Duration.ofSeconds(5)).replies().getFirst();
        assertEquals(Status.Code.UNAVAILABLE, second.failure().getCode());
        assertTrue(second.failure().getDescription().contains("circuit"), second.failure().getDescription());
        assertEquals(2, stats.grpcCalls(), "an open circuit makes no call");
    }
}
