package io.pspgateway.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import com.google.protobuf.ByteString;
import com.typesafe.config.ConfigFactory;
import io.pspgateway.dataplane.memory.RecordingDataplane;
import io.pspgateway.dataplane.soft.SoftDataplaneSettings;
import io.pspgateway.proto.doca.MultiTunnelRequest;
import io.pspgateway.proto.doca.MultiTunnelResponse;
import io.pspgateway.proto.doca.PSP_GatewayClient;
import io.pspgateway.proto.doca.SingleTunnelRequest;
import io.pspgateway.proto.doca.TunnelParameters;
import io.pspgateway.psp.InnerPackets;
import io.pspgateway.psp.PspVersion;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Key material never reaches a log, an exception or a gRPC status description, at any level —
 * except with {@code -k/--debug-keys}, which prints it at debug level.
 */
class KeysInLogsTest {

    /** Everything logged at TRACE (the gateway) and DEBUG (Pekko), messages and stack traces, while {@code body} runs. */
    private static String captured(ThrowingRunnable body) throws Exception {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Logger ours = (Logger) LoggerFactory.getLogger("io.pspgateway");
        Level rootBefore = root.getLevel();
        Level oursBefore = ours.getLevel();
        ListAppender<ILoggingEvent> all = new ListAppender<>();
        all.start();
        root.addAppender(all);
        root.setLevel(Level.TRACE);
        ours.setLevel(Level.TRACE);
        try {
            body.run();
        } finally {
            root.detachAppender(all);
            root.setLevel(rootBefore);
            ours.setLevel(oursBefore);
        }
        StringBuilder text = new StringBuilder();
        for (ILoggingEvent e : all.list) {
            text.append('[').append(e.getLevel()).append(' ').append(e.getLoggerName()).append("] ").append(e.getFormattedMessage())
                    .append('\n');
            if (e.getThrowableProxy() != null) {
                text.append(ThrowableProxyUtil.asString(e.getThrowableProxy())).append('\n');
            }
        }
        return text.toString();
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** Fails naming the first of {@code keys} that {@code text} holds, in hex (either case) or base64. */
    private static void assertNoKeyIn(String text, List<byte[]> keys, String where) {
        for (byte[] key : keys) {
            for (String form : List.of(HexFormat.of().formatHex(key), HexFormat.of().withUpperCase().formatHex(key),
                    Base64.getEncoder().encodeToString(key))) {
                int at = text.indexOf(form);
                assertFalse(at >= 0, "a key appears in " + where + ": " + form + (at < 0 ? ""
                        : " in: " + text.substring(Math.max(0, text.lastIndexOf('\n', at) + 1), Math.min(text.length(), at + form.length() + 80))));
            }
        }
    }

    @Test
    void noKeyReachesTheLogsOrStatusDescriptionsEvenAtTrace() throws Exception {
        List<byte[]> keys = new ArrayList<>();
        List<String> descriptions = new ArrayList<>();
        String log = captured(() -> {
            try (LocalCluster c = LocalCluster.start(2, 3, i -> SoftDataplaneSettings.defaults(),
                    ConfigFactory.parseString("pekko.loglevel = DEBUG"))) {
                // tunnels both ways, on demand: keys minted, sent, programmed
                LocalCluster.Member a = c.get(0);
                LocalCluster.Member b = c.get(1);
                a.host().send(InnerPackets.udp(a.vip(), b.vip(), 1));
                assertEquals(1, InnerPackets.sequence(b.host().take(10_000)));
                b.host().send(InnerPackets.udp(b.vip(), a.vip(), 2));
                assertEquals(2, InnerPackets.sequence(a.host().take(10_000)));
                // a peer's own call: the keys it gets, the reverse key it hands over, and refused ones
                ActorSystem<Void> clients = ActorSystem.create(Behaviors.empty(), "key-client");
                try {
                    PSP_GatewayClient peer = PSP_GatewayClient.create(new PeerDialing(c.tls(1), Optional.empty())
                            .clientSettings(c.grpc(0), ControlSettings.from(ConfigFactory.load()), clients), clients);
                    byte[] reverseKey = new byte[32];
                    new SecureRandom().nextBytes(reverseKey);
                    keys.add(reverseKey);
                    TunnelParameters reverse = TunnelParameters.newBuilder().setIpAddr("198.51.100.2").setPspVersion(1).setSpi(0x4242)
                            .setEncryptionKey(ByteString.copyFrom(reverseKey)).setEncapType(4).build();
                    MultiTunnelResponse r = peer.requestMultipleTunnelParams(MultiTunnelRequest.newBuilder().addPspVersionsAccepted(1)
                            .addTunnels(SingleTunnelRequest.newBuilder().setVirtSrcIp("10.2.0.2").setVirtDstIp("10.1.0.2")
                                    .setInnerType(4).setReverseParams(reverse)).build()).toCompletableFuture().get(10, TimeUnit.SECONDS);
                    r.getTunnelsParamsList().forEach(p -> keys.add(p.getEncryptionKey().toByteArray()));
                    byte[] wrongLength = new byte[20];
                    new SecureRandom().nextBytes(wrongLength);
                    keys.add(wrongLength);
                    ExecutionException bad = assertThrows(ExecutionException.class, () -> peer.requestMultipleTunnelParams(
                            MultiTunnelRequest.newBuilder().addPspVersionsAccepted(1).addTunnels(SingleTunnelRequest.newBuilder()
                                    .setVirtSrcIp("10.2.0.3").setVirtDstIp("10.1.0.1").setInnerType(4).setReverseParams(reverse.toBuilder()
                                            .setEncryptionKey(ByteString.copyFrom(wrongLength)))).build())
                            .toCompletableFuture().get(10, TimeUnit.SECONDS));
                    descriptions.add(String.valueOf(Peer.statusOf(bad.getCause()).getDescription()));
                    descriptions.add(String.valueOf(bad.getCause()));
                    peer.close();
                } finally {
                    clients.terminate();
                }
                OnDemandTunnelTest.eventually(() -> a.node().stats().tunnelsUp() >= 2, "the reverse tunnel installed");
            }
        });
        assertTrue(log.lines().count() > 100, "a TRACE run logs plenty to search: " + log.lines().count() + " lines");
        assertEquals(3, keys.size(), "the keys this test knows: the reverse key sent, the key received, the refused one");
        assertNoKeyIn(log, keys, "the log");
        assertNoKeyIn(String.join("\n", descriptions), keys, "a gRPC status or exception");
        assertTrue(log.contains("[DEBUG io.pspgateway.") && log.contains("[DEBUG org.apache.pekko"),
                "the gateway and Pekko did log below INFO: the search covered their debug output");
    }

    @Test
    void debugKeysPrintsThemAtDebugLevelAndOnlyThen() throws Exception {
        for (boolean debugKeys : new boolean[] {false, true}) {
            ActorTestKit kit = ActorTestKit.create();
            List<byte[]> minted = new ArrayList<>();
            String log = captured(() -> {
                ActorRef<DataplaneActor.Command> dataplane = kit.spawn(DataplaneActor.create(new RecordingDataplane(8), new PerfCounters(),
                        debugKeys));
                TestProbe<DataplaneActor.Minted> reply = kit.createTestProbe();
                TestProbe<IngressGrants.Command> grants = kit.createTestProbe();
                dataplane.tell(new DataplaneActor.MintAndOpen(null, List.of(new DataplaneActor.AclPair(InetAddress.ofLiteral("10.2.0.1"),
                        InetAddress.ofLiteral("10.1.0.1"))), PspVersion.V1, grants.getRef(), reply.getRef()));
                reply.receiveMessage().keys().forEach(k -> minted.add(k.key()));
            });
            kit.shutdownTestKit();
            boolean printed = log.contains(HexFormat.of().formatHex(minted.getFirst()));
            assertEquals(debugKeys, printed, "key printed with debugKeys=" + debugKeys);
        }
    }
}
