package io.pspgateway.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import com.typesafe.config.ConfigFactory;
import io.grpc.Status;
import io.pspgateway.config.HostPort;
import io.pspgateway.config.TunnelConfig;
import io.pspgateway.dataplane.FlowKey;
import io.pspgateway.dataplane.HeldPacket;
import io.pspgateway.dataplane.HoldReason;
import io.pspgateway.dataplane.SpiKey;
import io.pspgateway.proto.doca.TunnelParameters;
import io.pspgateway.psp.PspMode;
import io.pspgateway.psp.PspVersion;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.IntFunction;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Probes standing in for everything a set-up talks to — the peer directory, one peer, the slot
 * pool, the Dataplane actor, the ingress grants — with the answers a willing peer and data plane
 * give, for the tests of {@link Session}, {@link MissHandler} and {@link Tunnels} alone.
 */
final class SetupProbes {
    /** The configuration of a test kit on {@link ManualTime}: timers and ask time-outs fire only when the test moves the clock. */
    static com.typesafe.config.Config manualTime() {
        return ManualTime.config().withFallback(ConfigFactory.load());
    }

    static final InetAddress UPLINK = HostPort.ip("192.0.2.1");
    static final InetAddress PEER_UPLINK = HostPort.ip("192.0.2.2");
    static final InetAddress LOCAL_VIP = HostPort.ip("10.1.0.1");

    final TestProbe<PeerDirectory.Command> directory;
    final TestProbe<CryptoSlotPool.Command> slots;
    final TestProbe<DataplaneActor.Command> dataplane;
    final TestProbe<IngressGrants.Command> grants;
    final TestProbe<Peer.Command> peer;
    final GatewayStats stats = new GatewayStats();
    final GatewaySettings settings;
    final SessionDeps deps;

    /** {@code hocon}: settings of the {@code pspgw} section over the defaults. */
    SetupProbes(ActorTestKit kit, String hocon) {
        directory = kit.createTestProbe();
        slots = kit.createTestProbe();
        dataplane = kit.createTestProbe();
        grants = kit.createTestProbe();
        peer = kit.createTestProbe();
        settings = new GatewaySettings(new InetSocketAddress(UPLINK, 0), UPLINK, "", Set.of(LOCAL_VIP), PspVersion.V1,
                GatewaySettings.defaultCryptOffset(PspMode.TUNNEL, false, false), OptionalLong.empty(), PspMode.TUNNEL, false,
                TunnelConfig.empty(), ControlSettings.from(ConfigFactory.parseString(hocon).atPath("pspgw").withFallback(ConfigFactory.load())),
                Optional.empty(), Optional.empty(), false);
        deps = new SessionDeps(directory.getRef(), slots.getRef(), dataplane.getRef(), grants.getRef(), settings, stats,
                ActorDecorator.NONE);
    }

    static InetAddress remoteVip(int i) {
        return HostPort.ip("10.2.0." + i);
    }

    static FlowKey flow(int i) {
        return FlowKey.of(LOCAL_VIP, remoteVip(i));
    }

    static HeldPacket miss(int flow, int seq) {
        return new HeldPacket(HoldReason.MISS, flow(flow), new byte[] {(byte) flow, (byte) seq}, 0);
    }

    /** Answers the next lookup: every destination is served by {@link #peer}; returns the destinations asked for. */
    List<InetAddress> resolveAll() {
        PeerDirectory.ResolveAll asked = directory.expectMessageClass(PeerDirectory.ResolveAll.class);
        asked.replyTo().tell(new PeerDirectory.ResolvedAll(asked.vips().stream()
                .map(vip -> new PeerDirectory.Resolved(vip, peer.getRef(), new InetSocketAddress(PEER_UPLINK, 3000))).toList()));
        return asked.vips();
    }

    /** Answers the next lookup: no gateway serves any of the destinations; returns them. */
    List<InetAddress> resolveNone() {
        PeerDirectory.ResolveAll asked = directory.expectMessageClass(PeerDirectory.ResolveAll.class);
        asked.replyTo().tell(new PeerDirectory.ResolvedAll(asked.vips().stream()
                .map(vip -> new PeerDirectory.Resolved(vip, null, null)).toList()));
        return asked.vips();
    }

    /** Answers the next mint of reverse SPIs with SPIs {@code firstSpi}, +1, ...; returns the pairs asked for. */
    List<DataplaneActor.AclPair> mint(int firstSpi) {
        IngressGrants.Open asked = grants.expectMessageClass(IngressGrants.Open.class);
        List<SpiKey> keys = new ArrayList<>();
        for (int i = 0; i < asked.pairs().size(); i++) {
            keys.add(new SpiKey(firstSpi + i, PspVersion.V1, new byte[32]));
        }
        asked.replyTo().tell(new DataplaneActor.Minted(keys, null));
        return asked.pairs();
    }

    /** Answers the next request to the peer with {@code reply} for the i-th tunnel asked for; returns what was asked. */
    List<Peer.Wanted> answer(IntFunction<Peer.TunnelReply> reply) {
        Peer.RequestTunnels asked = peer.expectMessageClass(Peer.RequestTunnels.class);
        List<Peer.TunnelReply> replies = new ArrayList<>();
        for (int i = 0; i < asked.tunnels().size(); i++) {
            replies.add(reply.apply(i));
        }
        asked.replyTo().tell(new Peer.TunnelReplies(replies));
        return asked.tunnels();
    }

    /** What a willing peer answers: usable parameters with {@code spi} and a key of bytes {@code keyByte}. */
    static Peer.TunnelReply granted(int spi, byte keyByte) {
        byte[] key = new byte[32];
        Arrays.fill(key, keyByte);
        return new Peer.TunnelReply(TunnelParameters.newBuilder().setPspVersion(1).setSpi(spi).setEncapType(4)
                .setIpAddr(PEER_UPLINK.getHostAddress()).setEncryptionKey(ByteString.copyFrom(key)).build(), null);
    }

    static Peer.TunnelReply refused(Status status) {
        return new Peer.TunnelReply(null, status);
    }

    /** Grants the next allocation slots {@code first}, +1, ... (as many as asked for, up to {@code available}). */
    List<Integer> grantSlots(int first, int available) {
        CryptoSlotPool.Allocate asked = slots.expectMessageClass(CryptoSlotPool.Allocate.class);
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < Math.min(asked.count(), available); i++) {
            ids.add(first + i);
        }
        asked.replyTo().tell(new CryptoSlotPool.Granted(ids, ids.size() < asked.count() ? "all crypto slots are in use (--max-tunnels)" : null));
        return ids;
    }

    /** Installs everything of the next install; returns it (its keys as the data plane was handed them). */
    DataplaneActor.Install installAll() {
        DataplaneActor.Install asked = dataplane.expectMessageClass(DataplaneActor.Install.class);
        asked.replyTo().tell(new DataplaneActor.Installed(asked.entries().stream()
                .map(s -> new DataplaneActor.InstallResult(s.entry().flow(), null)).toList()));
        return asked;
    }

    /** Expects the slots {@code ids} to move to {@code owner}. */
    void expectTransfer(List<Integer> ids, ActorRef<?> owner) {
        CryptoSlotPool.Transfer t = slots.expectMessageClass(CryptoSlotPool.Transfer.class);
        assertEquals(ids, t.cryptoIds());
        assertEquals(owner, t.newOwner());
    }

    /** Sets up whatever the next set-up asks for (reverse parameters off): slots from {@code firstSlot}, SPIs from {@code firstSpi}. */
    void setUpAll(int firstSlot, int firstSpi) {
        resolveAll();
        answer(i -> granted(firstSpi + i, (byte) 1));
        grantSlots(firstSlot, Integer.MAX_VALUE);
        installAll();
    }

    /** Expects the release of {@code flow}'s entry and slot {@code cryptoId}: an Uninstall and the slot back to the pool. */
    void expectReleased(FlowKey flow, int cryptoId) {
        assertEquals(new DataplaneActor.Uninstall(flow, cryptoId), dataplane.expectMessageClass(DataplaneActor.Uninstall.class));
        assertEquals(new CryptoSlotPool.Release(cryptoId), slots.expectMessageClass(CryptoSlotPool.Release.class));
    }
}
