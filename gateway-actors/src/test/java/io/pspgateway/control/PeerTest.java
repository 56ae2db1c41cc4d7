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

/**
 * A peer that cannot be reached: retries with backoff, then the circuit opens and requests fail at
 * once. An original DOCA gateway, which does not serve the project's re-key call, is asked once.
 */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PeerTest {
    @JUnit5TestKit
    public final ActorTestKit testKit = new JUnit5TestKitBuilder().withName("peer-test")
            .withCustomConfig(ConfigFactory.parseString("pekko.http.server.enable-http2 = on").withFallback(ConfigFactory.load())).build();

    @Test
    void anOriginalGatewayThatDoesNotServeTheReKeyCallIsToldOfOneRotationAndNotAskedAgain() throws Exception {
        // the original serves psp_gateway.PSP_Gateway only: any other path is not found (gRPC: UNIMPLEMENTED)
        java.util.concurrent.atomic.AtomicInteger keysCalls = new java.util.concurrent.atomic.AtomicInteger();
        var original = io.pspgateway.proto.doca.PSP_GatewayHandlerFactory.create(new io.pspgateway.proto.doca.PSP_Gateway() {
            @Override
            public java.util.concurrent.CompletionStage<io.pspgateway.proto.doca.MultiTunnelResponse> requestMultipleTunnelParams(
                    io.pspgateway.proto.doca.MultiTunnelRequest in) {
                return java.util.concurrent.CompletableFuture.failedFuture(new IllegalStateException("not asked in this test"));
            }

            @Override
            public java.util.concurrent.CompletionStage<io.pspgateway.proto.doca.KeyRotationResponse> requestKeyRotation(
                    io.pspgateway.proto.doca.KeyRotationRequest in) {
                return java.util.concurrent.CompletableFuture.failedFuture(new IllegalStateException("not asked in this test"));
            }
        }, testKit.system());
        org.apache.pekko.japi.function.Function<org.apache.pekko.http.javadsl.model.HttpRequest,
                java.util.concurrent.CompletionStage<org.apache.pekko.http.javadsl.model.HttpResponse>> counting = request -> {
                    if (request.getUri().path().contains("GatewayKeys")) {
                        keysCalls.incrementAndGet();
                    }
                    return original.apply(request);
                };
        var binding = org.apache.pekko.http.javadsl.Http.get(testKit.system()).newServerAt("127.0.0.1", 0).bind(counting)
                .toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
        try {
            ActorRef<Peer.Command> peer = testKit.spawn(Peer.create(binding.localAddress(), ControlSettings.from(ConfigFactory.load()),
                    PeerDialing.PLAINTEXT_ANY_SOURCE, List.of(1, 0), new GatewayStats()));
            TestProbe<Peer.KeysTold> told = testKit.createTestProbe();
            peer.tell(new Peer.TellKeysRotated(1, told.getRef()));
            assertEquals(Peer.KeysTold.NOT_SERVED, told.receiveMessage(Duration.ofSeconds(10)));
            assertEquals(1, keysCalls.get());
            peer.tell(new Peer.TellKeysRotated(2, told.getRef()));
            assertEquals(Peer.KeysTold.NOT_SERVED, told.receiveMessage());
            assertEquals(1, keysCalls.get(), "not asked again: it keeps the original's behaviour");
        } finally {
            binding.unbind().toCompletableFuture().get(5, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

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
