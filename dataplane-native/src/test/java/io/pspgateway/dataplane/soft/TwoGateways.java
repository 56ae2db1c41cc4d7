package io.pspgateway.dataplane.soft;

import io.pspgateway.dataplane.LocalTunnel;
import io.pspgateway.dataplane.port.MemoryPort;
import io.pspgateway.psp.Ip;
import io.pspgateway.psp.PspMode;
import io.pspgateway.psp.PspVersion;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Two soft data planes, A and B, each with a host behind its plain port; their secure ports are
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
    final SoftDataplane a;
    final SoftDataplane b;

    TwoGateways(boolean innerV6, boolean outerV6, SoftDataplaneSettings settingsA, SoftDataplaneSettings settingsB) {
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
        a = new SoftDataplane(settingsA, plainA[1], secureA[1]);
        b = new SoftDataplane(settingsB, plainB[1], secureB[1]);
        a.start();
        b.start();
    }

    TwoGateways(boolean innerV6, boolean outerV6) {
        this(innerV6, outerV6, SoftDataplaneSettings.defaults(), SoftDataplaneSettings.defaults());
    }

    static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static int connect(SoftDataplane sender, InetAddress senderPhys, InetAddress senderVip, SoftDataplane receiver,
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

    /** A UDP packet between two VIPs whose payload starts with the 4-byte sequence number {@code seq}. */
    static byte[] udp(InetAddress src, InetAddress dst, int seq, int payload) {
        boolean v6 = src.getAddress().length == 16;
        int ip = v6 ? 40 : 20;
        byte[] p = new byte[ip + 8 + Math.max(4, payload)];
        if (v6) {
            p[0] = 0x60;
            Ip.putU16(p, 4, p.length - 40);
            p[6] = Ip.PROTO_UDP;
            p[7] = 64;
            System.arraycopy(src.getAddress(), 0, p, 8, 16);
            System.arraycopy(dst.getAddress(), 0, p, 24, 16);
        } else {
            p[0] = 0x45;
            Ip.putU16(p, 2, p.length);
            p[8] = 64;
            p[9] = Ip.PROTO_UDP;
            System.arraycopy(src.getAddress(), 0, p, 12, 4);
            System.arraycopy(dst.getAddress(), 0, p, 16, 4);
            Ip.fixIpv4Checksum(p, 0, 20);
        }
        Ip.putU16(p, ip, 5000);
        Ip.putU16(p, ip + 2, 6000);
        Ip.putU16(p, ip + 4, p.length - ip);
        p[ip + 8] = (byte) (seq >>> 24);
        p[ip + 9] = (byte) (seq >>> 16);
        p[ip + 10] = (byte) (seq >>> 8);
        p[ip + 11] = (byte) seq;
        return p;
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
