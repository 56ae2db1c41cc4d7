package io.pspgateway.dataplane;

import io.pspgateway.dataplane.port.MemoryPort;
import io.pspgateway.dataplane.port.PacketPort;
import io.pspgateway.psp.PspMode;
import io.pspgateway.psp.PspVersion;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Two data planes of the backend under test, A and B, each with a host behind its plain port; their secure ports are
 * joined through a "wire" the test drives, so it can look at, drop or damage what crosses it.
 * Programmed by hand, without a control plane.
 */
final class TwoGateways implements AutoCloseable {
    final InetAddress vipA;
    final InetAddress vipB;
    final InetAddress physA;
    final InetAddress physB;
    final MemoryPort hostA;
    final MemoryPort hostB;
    /** The wire ends: what A sends arrives at {@code wireFromA}; what is sent on {@code wireToB} reaches B. */
    final MemoryPort wireFromA;
    final MemoryPort wireToB;
    final MemoryPort wireFromB;
    final MemoryPort wireToA;
    final DataplaneOps a;
    final DataplaneOps b;

    /** Opens a started backend on {@code plain} (towards its host) and {@code secure} (towards the wire). */
    @FunctionalInterface
    interface Opener {
        DataplaneOps open(DataplanePacketContract.Needs needs, PacketPort plain, PacketPort secure);
    }

    TwoGateways(Opener opener, boolean innerV6, boolean outerV6, DataplanePacketContract.Needs needsA,
                DataplanePacketContract.Needs needsB) {
        vipA = address(innerV6 ? "fd00::1" : "10.0.0.1");
        vipB = address(innerV6 ? "fd00::2" : "10.0.0.2");
        physA = address(outerV6 ? "2001:db8::a" : "192.0.2.1");
        physB = address(outerV6 ? "2001:db8::b" : "192.0.2.2");
        MemoryPort[] plainA = MemoryPort.link("host-a", "plain-a", 4096);
        MemoryPort[] plainB = MemoryPort.link("host-b", "plain-b", 4096);
        MemoryPort[] secureA = MemoryPort.link("wire-a", "secure-a", 4096);
        MemoryPort[] secureB = MemoryPort.link("wire-b", "secure-b", 4096);
        hostA = plainA[0];
        hostB = plainB[0];
        wireFromA = secureA[0];
        wireToA = secureA[0];
        wireFromB = secureB[0];
        wireToB = secureB[0];
        a = opener.open(needsA, plainA[1], secureA[1]);
        b = opener.open(needsB, plainB[1], secureB[1]);
    }

    /** What {@code ops} holds now: every backend inspects itself ({@link DataplaneControlContract} checks it does). */
    static DataplaneInspection inspect(DataplaneOps ops) {
        return (DataplaneInspection) ops;
    }

    static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static int connect(DataplaneOps sender, InetAddress senderPhys, InetAddress senderVip, DataplaneOps receiver,
                       InetAddress receiverPhys, InetAddress receiverVip, int cryptoId, PspMode mode, PspVersion version) {
        return LocalTunnel.connect(new LocalTunnel.End(sender, senderPhys, senderVip),
                new LocalTunnel.End(receiver, receiverPhys, receiverVip), cryptoId, mode, version);
    }

    int connectAtoB(int cryptoId) {
        return connect(a, physA, vipA, b, physB, vipB, cryptoId, PspMode.TUNNEL, PspVersion.V1);
    }

    int connectBtoA(int cryptoId) {
        return connect(b, physB, vipB, a, physA, vipA, cryptoId, PspMode.TUNNEL, PspVersion.V1);
    }

    /** Moves {@code count} packets from one wire end to another, returning them; fails if fewer come. */
    static List<byte[]> relay(MemoryPort from, MemoryPort to, int count) throws InterruptedException {
        List<byte[]> moved = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] p = from.take(5000);
            if (p == null) {
                throw new AssertionError("only " + i + " of " + count + " packets reached the wire");
            }
            moved.add(p);
            if (!to.send(p)) {
                throw new AssertionError("wire queue full");
            }
        }
        return moved;
    }

    @Override
    public void close() {
        a.close();
        b.close();
    }
}
