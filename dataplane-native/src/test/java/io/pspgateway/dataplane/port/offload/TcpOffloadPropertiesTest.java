package io.pspgateway.dataplane.port.offload;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pspgateway.psp.PacketBuffer;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Assume;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Segmentation and coalescing of TCP super-packets, IPv4 (TSO4) and IPv6 (TSO6), checked against
 * this test's own plain implementation of the Internet checksum (16-bit words, one at a time).
 */
class TcpOffloadPropertiesTest {
    private static final int BUFFER = 2048;
    private static final int FIN = 0x01;
    private static final int PSH = 0x08;
    private static final int ACK = 0x10;
    private static final int CWR = 0x80;

    /** A TCP super-packet as the kernel hands it to a TUN device with TSO on. */
    record SuperPacket(boolean v6, int optionBytes, int gsoSize, int flags, long seq, int ipId, byte[] payload, long seed) {
        int ipHeader() {
            return v6 ? 40 : 20;
        }

        int headers() {
            return ipHeader() + 20 + optionBytes;
        }

        /** virtio header, then the packet; the TCP checksum field holds junk (it is recomputed). */
        byte[] frame() {
            Random r = new Random(seed);
            int headers = headers();
            byte[] f = new byte[VirtioNetHeader.LENGTH + headers + payload.length];
            int l3 = VirtioNetHeader.LENGTH;
            VirtioNetHeader.write(f, 0, VirtioNetHeader.F_NEEDS_CSUM, v6 ? VirtioNetHeader.GSO_TCPV6 : VirtioNetHeader.GSO_TCPV4,
                    headers, gsoSize, ipHeader(), 16);
            if (v6) {
                f[l3] = 0x60;
                f[l3 + 1] = 0x0a;
                f[l3 + 3] = 0x42;
                put16(f, l3 + 4, headers - 40 + payload.length);
                f[l3 + 6] = 6;
                f[l3 + 7] = 64;
                fill(r, f, l3 + 8, 32);
            } else {
                f[l3] = 0x45;
                put16(f, l3 + 2, headers + payload.length);
                put16(f, l3 + 4, ipId);
                f[l3 + 6] = 0x40;
                f[l3 + 8] = 64;
                f[l3 + 9] = 6;
                fill(r, f, l3 + 12, 8);
            }
            int tcp = l3 + ipHeader();
            fill(r, f, tcp, 4);
            put32(f, tcp + 4, seq);
            fill(r, f, tcp + 8, 4);
            f[tcp + 12] = (byte) (((20 + optionBytes) / 4) << 4);
            f[tcp + 13] = (byte) flags;
            fill(r, f, tcp + 14, 4);
            fill(r, f, tcp + 20, optionBytes);
            System.arraycopy(payload, 0, f, l3 + headers, payload.length);
            return f;
        }
    }

    @Provide
    Arbitrary<SuperPacket> superPackets() {
        return superPackets(Arbitraries.of(0, ACK, ACK | PSH, ACK | FIN, ACK | PSH | FIN, ACK | CWR, ACK | CWR | PSH | FIN));
    }

    @Provide
    Arbitrary<SuperPacket> coalescable() {
        return superPackets(Arbitraries.of(ACK, ACK | PSH));
    }

    private static Arbitrary<SuperPacket> superPackets(Arbitrary<Integer> flags) {
        Arbitrary<Boolean> v6 = Arbitraries.of(false, true);
        Arbitrary<Integer> options = Arbitraries.integers().between(0, 10).map(w -> w * 4);
        Arbitrary<Integer> gso = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, Arbitraries.integers().between(1200, 1460)),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(64, 1460)));
        Arbitrary<Integer> payloadLength = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(0, 3000)),
                net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(3000, 0xFFFF - 100)));
        Arbitrary<Long> seq = Arbitraries.longs().between(0, 0xFFFF_FFFFL);
        return Combinators.combine(v6, options, gso, flags, seq, Arbitraries.integers().between(0, 0xFFFF), payloadLength,
                        Arbitraries.longs())
                .as((six, opt, g, fl, s, id, len, seed) -> {
                    byte[] payload = new byte[len];
                    new Random(seed).nextBytes(payload);
                    return new SuperPacket(six, opt, g, fl, s, id, payload, seed);
                });
    }

    @Property(tries = 200)
    void segmentsAreCompletePacketsWithinTheSegmentSize(@ForAll("superPackets") SuperPacket sp) {
        byte[] frame = sp.frame();
        List<byte[]> segments = segment(frame);
        int expected = Math.max(1, (sp.payload().length + sp.gsoSize() - 1) / sp.gsoSize());
        assertEquals(expected, segments.size(), "ceil(payload / segment size) segments");
        int l3 = VirtioNetHeader.LENGTH;
        int ip = sp.ipHeader();
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        long seq = sp.seq();
        for (int i = 0; i < segments.size(); i++) {
            byte[] s = segments.get(i);
            boolean first = i == 0;
            boolean last = i == segments.size() - 1;
            int data = s.length - sp.headers();
            assertTrue(data <= sp.gsoSize() && s.length <= sp.headers() + sp.gsoSize(), "within the MTU");
            if (!last) {
                assertEquals(sp.gsoSize(), data, "every segment but the last is full");
            }
            if (sp.v6()) {
                assertEquals(s.length - 40, u16(s, 4), "IPv6 payload length");
                assertArrayEquals(Arrays.copyOfRange(frame, l3, l3 + 4), Arrays.copyOfRange(s, 0, 4));
            } else {
                assertEquals(s.length, u16(s, 2), "IPv4 total length");
                assertEquals((sp.ipId() + i) & 0xFFFF, u16(s, 4), "IPv4 IDs count up");
                assertEquals(0xFFFF, sumWords(s, 0, 20, 0), "valid IPv4 header checksum");
            }
            assertArrayEquals(Arrays.copyOfRange(frame, l3 + ip - (sp.v6() ? 32 : 8), l3 + ip),
                    Arrays.copyOfRange(s, ip - (sp.v6() ? 32 : 8), ip), "addresses");
            assertEquals(seq, u32(s, ip + 4), "sequence numbers contiguous");
            int flags = s[ip + 13] & 0xFF;
            assertEquals(last ? sp.flags() & (FIN | PSH) : 0, flags & (FIN | PSH), "FIN and PSH on the last segment only");
            assertEquals(first ? sp.flags() & CWR : 0, flags & CWR, "CWR on the first segment only");
            assertEquals(sp.flags() & ACK, flags & ACK);
            assertArrayEquals(Arrays.copyOfRange(frame, l3 + ip + 8, l3 + ip + 12), Arrays.copyOfRange(s, ip + 8, ip + 12), "ack");
            assertArrayEquals(Arrays.copyOfRange(frame, l3 + ip + 14, l3 + ip + 16), Arrays.copyOfRange(s, ip + 14, ip + 16), "window");
            assertArrayEquals(Arrays.copyOfRange(frame, l3 + ip + 20, l3 + sp.headers()), Arrays.copyOfRange(s, ip + 20, sp.headers()),
                    "options");
            assertTrue(tcpChecksumValid(s, sp.v6()), "valid TCP checksum, segment " + i);
            joined.writeBytes(Arrays.copyOfRange(s, sp.headers(), s.length));
            seq = (seq + data) & 0xFFFF_FFFFL;
        }
        assertArrayEquals(sp.payload(), joined.toByteArray(), "the payload, in order");
    }

    @Property(tries = 150)
    void coalescingTheSegmentsGivesBackTheSuperPacket(@ForAll("coalescable") SuperPacket sp) {
        List<byte[]> segments = segment(sp.frame());
        PacketBuffer[] batch = buffers(segments);
        TcpCoalescer coalescer = new TcpCoalescer(batch.length);
        int groups = coalescer.plan(batch, batch.length);
        if (sp.payload().length == 0) {
            assertEquals(1, groups);
            return;
        }
        // a group ends at 64 KB; super-packets from the generator stay under it
        assertEquals(1, groups, "one flow, contiguous, full-sized segments: one group");
        assertEquals(segments.size(), coalescer.members(0));
        if (segments.size() == 1) {
            return;
        }
        byte[] out = new byte[VirtioNetHeader.LENGTH + TcpCoalescer.MAX_PACKET];
        int length = coalescer.frame(0, batch, out);
        int l3 = VirtioNetHeader.LENGTH;
        byte[] packet = Arrays.copyOfRange(out, l3, length);
        assertEquals(sp.v6() ? VirtioNetHeader.GSO_TCPV6 : VirtioNetHeader.GSO_TCPV4, VirtioNetHeader.gsoType(out, 0));
        assertEquals(sp.gsoSize(), VirtioNetHeader.gsoSize(out, 0), "the kernel may split it again at the same size");
        assertEquals(VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.flags(out, 0));
        assertEquals(sp.ipHeader(), VirtioNetHeader.csumStart(out, 0));
        assertEquals(16, VirtioNetHeader.csumOffset(out, 0));
        assertArrayEquals(sp.payload(), Arrays.copyOfRange(packet, sp.headers(), packet.length));
        assertEquals(sp.seq(), u32(packet, sp.ipHeader() + 4), "starts at the first segment's sequence number");
        assertEquals(sp.flags() & PSH, packet[sp.ipHeader() + 13] & PSH, "the last segment's PSH carried over");
        if (sp.v6()) {
            assertEquals(packet.length - 40, u16(packet, 4));
        } else {
            assertEquals(packet.length, u16(packet, 2));
            assertEquals(0xFFFF, sumWords(packet, 0, 20, 0), "valid IPv4 header checksum");
        }
        // what the kernel does with F_NEEDS_CSUM: sum from csum_start over the partial field, invert
        int completed = ~sumWords(packet, sp.ipHeader(), packet.length - sp.ipHeader(), 0) & 0xFFFF;
        byte[] zeroed = packet.clone();
        put16(zeroed, sp.ipHeader() + 16, 0);
        assertEquals(tcpChecksum(zeroed, sp.v6()), completed, "the partial checksum completes to the right one");
    }

    @Property(tries = 60)
    void flowsStayInOrderAndOtherPacketsPassAlone(@ForAll("coalescable") SuperPacket a, @ForAll("coalescable") SuperPacket b,
                                                  @ForAll @IntRange(min = 0, max = 1000) int mixSeed) {
        // two flows: a and b draw their addresses and ports from their seeds, so equal seeds of one IP
        // version make one flow, whose segments rightly coalesce together (a CI run drew such a pair)
        Assume.that(a.seed() != b.seed() || a.v6() != b.v6());
        List<byte[]> sa = segment(a.frame());
        List<byte[]> sb = segment(b.frame());
        byte[] udp = segment(udpFrame(40, false)).get(0);
        List<byte[]> mixed = new ArrayList<>();
        Random r = new Random(mixSeed);
        int i = 0;
        int j = 0;
        while (i < sa.size() || j < sb.size()) {
            if (j >= sb.size() || i < sa.size() && r.nextBoolean()) {
                mixed.add(sa.get(i++));
            } else {
                mixed.add(sb.get(j++));
            }
            if (r.nextInt(20) == 0) {
                mixed.add(udp);
            }
        }
        int n = Math.min(mixed.size(), 256);
        PacketBuffer[] batch = buffers(mixed.subList(0, n));
        TcpCoalescer coalescer = new TcpCoalescer(n);
        int groups = coalescer.plan(batch, n);
        int members = 0;
        byte[] out = new byte[VirtioNetHeader.LENGTH + TcpCoalescer.MAX_PACKET];
        ByteArrayOutputStream flowA = new ByteArrayOutputStream();
        for (int g = 0; g < groups; g++) {
            members += coalescer.members(g);
            byte[] packet;
            if (coalescer.members(g) > 1) {
                int length = coalescer.frame(g, batch, out);
                packet = Arrays.copyOfRange(out, VirtioNetHeader.LENGTH, length);
            } else {
                packet = batch[coalescer.first(g)].toByteArray();
            }
            if (Arrays.equals(packet, udp)) {
                continue;
            }
            int ip = packet[0] >>> 4 == 6 ? 40 : 20;
            boolean ofA = Arrays.equals(packet, ip == 40 ? 8 : 12, ip, sa.get(0), ip == 40 ? 8 : 12, ip)
                    && Arrays.equals(packet, ip, ip + 4, sa.get(0), ip, ip + 4) && (packet[0] >>> 4) == (sa.get(0)[0] >>> 4);
            if (ofA) {
                int headers = ip + ((packet[ip + 12] & 0xFF) >>> 4) * 4;
                flowA.writeBytes(Arrays.copyOfRange(packet, headers, packet.length));
            }
        }
        assertEquals(n, members, "every packet in exactly one group");
        ByteArrayOutputStream inBatch = new ByteArrayOutputStream();
        for (byte[] p : mixed.subList(0, n)) {
            if (sa.contains(p)) {
                inBatch.writeBytes(Arrays.copyOfRange(p, a.headers(), p.length));
            }
        }
        assertArrayEquals(inBatch.toByteArray(), flowA.toByteArray(), "flow A's bytes in order");
    }

    @Property(tries = 100)
    void aPartialChecksumOnASinglePacketIsCompleted(@ForAll @IntRange(min = 0, max = 1400) int payload, @ForAll boolean tcp) {
        byte[] packet = segment(tcp ? tcpFrameWithPartialChecksum(payload) : udpFrame(payload, true)).get(0);
        if (tcp) {
            assertTrue(tcpChecksumValid(packet, false));
        } else {
            byte[] zeroed = packet.clone();
            put16(zeroed, 26, 0);
            int want = ~(sumWords(zeroed, 20, zeroed.length - 20, pseudo(zeroed, false, 17, zeroed.length - 20))) & 0xFFFF;
            assertEquals(want == 0 ? 0xFFFF : want, u16(packet, 26), "UDP checksum completed (0 sent as 0xFFFF)");
        }
    }

    @Property(tries = 400)
    void hostileFramesAreRefusedOrSplitWithinBounds(@ForAll @Size(min = 0, max = 3000) byte[] noise,
                                                    @ForAll @IntRange(min = 0, max = 7) int type) {
        TcpSegmenter segmenter = new TcpSegmenter();
        byte[] frame = noise.clone();
        if (frame.length > 30) {
            frame[1] = (byte) type;
            frame[VirtioNetHeader.LENGTH] = (byte) ((type & 1) == 0 ? 0x45 : 0x60);
            frame[VirtioNetHeader.LENGTH + 9] = 6;
            frame[VirtioNetHeader.LENGTH + 6] = 6;
        }
        System.arraycopy(frame, 0, segmenter.frame(), 0, frame.length);
        if (segmenter.load(frame.length, BUFFER)) {
            PacketBuffer[] batch = buffers(1);
            int made = 0;
            while (segmenter.hasMore() && made < 100_000) {
                made += segmenter.emit(batch, 0);
                assertTrue(batch[0].length() + PacketBuffer.DEFAULT_HEADROOM <= BUFFER);
            }
            assertFalse(segmenter.hasMore());
        }
    }

    /** Whatever a peer's decrypted packets hold, grouping them never throws and every packet is in one group. */
    @Property(tries = 300)
    void hostilePacketsAreGroupedWithoutFailing(@ForAll("coalescable") SuperPacket sp, @ForAll @IntRange(min = 0, max = 1000) int seed) {
        List<byte[]> packets = new ArrayList<>(segment(sp.frame()));
        Random r = new Random(seed);
        for (byte[] p : packets) {
            for (int k = r.nextInt(4); k > 0; k--) {
                p[r.nextInt(Math.min(p.length, 80))] = (byte) r.nextInt(256);  // headers corrupted at random
            }
        }
        PacketBuffer[] batch = buffers(packets);
        TcpCoalescer coalescer = new TcpCoalescer(batch.length);
        int groups = coalescer.plan(batch, batch.length);
        int members = 0;
        byte[] out = new byte[VirtioNetHeader.LENGTH + TcpCoalescer.MAX_PACKET];
        for (int g = 0; g < groups; g++) {
            members += coalescer.members(g);
            if (coalescer.members(g) > 1) {
                assertTrue(coalescer.frame(g, batch, out) <= out.length);
            }
        }
        assertEquals(batch.length, members);
    }

    // --- helpers ---

    private static List<byte[]> segment(byte[] frame) {
        TcpSegmenter segmenter = new TcpSegmenter();
        System.arraycopy(frame, 0, segmenter.frame(), 0, frame.length);
        assertTrue(segmenter.load(frame.length, BUFFER), "a well-formed frame is taken");
        PacketBuffer[] batch = buffers(64);
        List<byte[]> out = new ArrayList<>();
        while (segmenter.hasMore()) {
            int n = segmenter.emit(batch, 0);
            for (int i = 0; i < n; i++) {
                out.add(batch[i].toByteArray());
            }
        }
        return out;
    }

    private static PacketBuffer[] buffers(int n) {
        PacketBuffer[] b = new PacketBuffer[n];
        for (int i = 0; i < n; i++) {
            b[i] = new PacketBuffer(BUFFER);
        }
        return b;
    }

    private static PacketBuffer[] buffers(List<byte[]> packets) {
        PacketBuffer[] b = buffers(packets.size());
        for (int i = 0; i < b.length; i++) {
            // packets arrive decapsulated, somewhere inside their buffers
            b[i].load(packets.get(i), 0, packets.get(i).length, 100 + i % 7);
        }
        return b;
    }

    private static byte[] udpFrame(int payload, boolean partial) {
        byte[] f = new byte[VirtioNetHeader.LENGTH + 28 + payload];
        int l3 = VirtioNetHeader.LENGTH;
        f[l3] = 0x45;
        put16(f, l3 + 2, 28 + payload);
        f[l3 + 8] = 64;
        f[l3 + 9] = 17;
        for (int i = 12; i < 20; i++) {
            f[l3 + i] = (byte) (i * 7);
        }
        put16(f, l3 + 20, 5000);
        put16(f, l3 + 22, 6000);
        put16(f, l3 + 24, 8 + payload);
        for (int i = 0; i < payload; i++) {
            f[l3 + 28 + i] = (byte) (i * 13 + payload);
        }
        byte[] packet = Arrays.copyOfRange(f, l3, f.length);
        if (partial) {
            put16(f, l3 + 26, foldOnly(pseudo(packet, false, 17, 8 + payload)));
            VirtioNetHeader.write(f, 0, VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.GSO_NONE, 0, 0, 20, 6);
        } else {
            put16(f, l3 + 26, 0);
        }
        put16(f, l3 + 10, ~sumWords(f, l3, 20, 0) & 0xFFFF);
        return f;
    }

    private static byte[] tcpFrameWithPartialChecksum(int payload) {
        SuperPacket sp = new SuperPacket(false, 12, 1460, ACK | PSH, 77, 9, new byte[payload], payload);
        byte[] f = sp.frame();
        int l3 = VirtioNetHeader.LENGTH;
        byte[] packet = Arrays.copyOfRange(f, l3, f.length);
        put16(f, l3 + 10, ~sumWords(f, l3, 20, 0) & 0xFFFF);
        put16(f, l3 + 36, foldOnly(pseudo(packet, false, 6, packet.length - 20)));
        VirtioNetHeader.write(f, 0, VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.GSO_NONE, 0, 0, 20, 16);
        return f;
    }

    /** The plain Internet checksum: 16-bit words one at a time, carries folded at the end. */
    private static int sumWords(byte[] b, int off, int len, int initial) {
        long sum = initial;
        for (int i = 0; i + 1 < len; i += 2) {
            sum += u16(b, off + i);
        }
        if ((len & 1) != 0) {
            sum += (b[off + len - 1] & 0xFF) << 8;
        }
        while (sum > 0xFFFF) {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (int) sum;
    }

    private static int pseudo(byte[] packet, boolean v6, int protocol, int l4Length) {
        int addresses = v6 ? 8 : 12;
        int length = v6 ? 32 : 8;
        return sumWords(packet, addresses, length, 0) + protocol + l4Length;
    }

    private static int foldOnly(int sum) {
        while (sum > 0xFFFF) {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return sum;
    }

    private static int tcpChecksum(byte[] packetWithZeroField, boolean v6) {
        int ip = v6 ? 40 : 20;
        int len = packetWithZeroField.length - ip;
        return ~sumWords(packetWithZeroField, ip, len, pseudo(packetWithZeroField, v6, 6, len)) & 0xFFFF;
    }

    private static boolean tcpChecksumValid(byte[] packet, boolean v6) {
        int ip = v6 ? 40 : 20;
        byte[] zeroed = packet.clone();
        put16(zeroed, ip + 16, 0);
        return tcpChecksum(zeroed, v6) == u16(packet, ip + 16);
    }

    private static void fill(Random r, byte[] b, int off, int len) {
        for (int i = 0; i < len; i++) {
            b[off + i] = (byte) r.nextInt(256);
        }
    }

    private static int u16(byte[] b, int off) {
        return ((b[off] & 0xFF) << 8) | (b[off + 1] & 0xFF);
    }

    private static long u32(byte[] b, int off) {
        return ((long) u16(b, off) << 16) | u16(b, off + 2);
    }

    private static void put16(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }

    private static void put32(byte[] b, int off, long v) {
        put16(b, off, (int) (v >>> 16) & 0xFFFF);
        put16(b, off + 2, (int) v & 0xFFFF);
    }
}
