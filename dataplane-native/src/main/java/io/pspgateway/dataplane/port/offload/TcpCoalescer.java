package io.pspgateway.dataplane.port.offload;

import io.pspgateway.psp.Ip;
import io.pspgateway.psp.PacketBuffer;
import java.util.Arrays;

/**
 * Receive-side coalescing (GRO) before a TUN write: consecutive segments of one TCP flow in a
 * batch become one super-packet with a {@code virtio_net_hdr} saying how the kernel may split
 * it again, so the host's TCP stack takes one packet where the wire carried dozens.
 *
 * <p>A segment joins a group when it is the same flow with the same headers but for length, ID
 * and checksums (same addresses, ports, TOS/traffic class and flow label, TTL, DF, ACK number,
 * window and TCP options), carries only ACK (and PSH, which ends the group), starts where the
 * group ends, is no longer than the group's first segment, and every segment before it was
 * full-sized; the group stays within 64 KB. A segment of a flow whose group it cannot join closes
 * that group, so a flow's packets are never reordered; other packets pass as they are. IPv4 with
 * options and IPv6 with extension headers are never coalesced.
 *
 * <p>One instance per sending thread; {@link #plan} then {@link #frame} per group, nothing
 * allocated per batch.
 */
public final class TcpCoalescer {
    /** Open groups looked at for each packet: enough for a batch of a few interleaved flows. */
    private static final int SCAN = 8;
    private static final int ACK = 0x10;
    private static final int PSH = 0x08;
    /** The largest packet a group becomes, IPv4 or IPv6: what an IPv4 total length can say. */
    public static final int MAX_PACKET = 0xFFFF;

    private final int[] head;
    private final int[] last;
    private final int[] count;
    private final int[] payload;
    private final int[] segmentSize;
    private final long[] nextSeq;
    private final boolean[] open;
    private final int[] nextMember;
    private final int[] packetPayload;
    private int groups;

    /** For batches of up to {@code maxBatch} packets. */
    public TcpCoalescer(int maxBatch) {
        head = new int[maxBatch];
        last = new int[maxBatch];
        count = new int[maxBatch];
        payload = new int[maxBatch];
        segmentSize = new int[maxBatch];
        nextSeq = new long[maxBatch];
        open = new boolean[maxBatch];
        nextMember = new int[maxBatch];
        packetPayload = new int[maxBatch];
    }

    /** Groups {@code packets[0, n)}; returns the number of groups, in the order of their first packets. */
    public int plan(PacketBuffer[] packets, int n) {
        groups = 0;
        Arrays.fill(nextMember, 0, n, -1);
        for (int i = 0; i < n; i++) {
            PacketBuffer p = packets[i];
            int data = tcpPayload(p);
            packetPayload[i] = data;
            if (data <= 0) {
                start(i, data, false, 0);
                continue;
            }
            long seq = Ip.u32(p.array(), p.start() + ipHeader(p) + 4);
            boolean push = (p.array()[p.start() + ipHeader(p) + 13] & PSH) != 0;
            int g = findSameFlow(packets, p);
            if (g >= 0 && fits(g, p, data, seq)) {
                nextMember[last[g]] = i;
                last[g] = i;
                count[g]++;
                payload[g] += data;
                nextSeq[g] = (seq + data) & 0xFFFF_FFFFL;
                open[g] = !push && data == segmentSize[g];
                continue;
            }
            if (g >= 0) {
                open[g] = false;
            }
            start(i, data, !push, (seq + data) & 0xFFFF_FFFFL);
        }
        return groups;
    }

    private void start(int i, int data, boolean canGrow, long next) {
        int g = groups++;
        head[g] = i;
        last[g] = i;
        count[g] = 1;
        payload[g] = Math.max(data, 0);
        segmentSize[g] = data;
        nextSeq[g] = next;
        open[g] = canGrow;
    }

    private int findSameFlow(PacketBuffer[] packets, PacketBuffer p) {
        for (int g = groups - 1; g >= 0 && g >= groups - SCAN; g--) {
            if (open[g] && sameFlow(packets[head[g]], p)) {
                return g;
            }
        }
        return -1;
    }

    private boolean fits(int g, PacketBuffer p, int data, long seq) {
        return seq == nextSeq[g] && data <= segmentSize[g] && headersOf(p) + payload[g] + data <= MAX_PACKET;
    }

    /** The most packets one {@link #plan} takes. */
    public int capacity() {
        return head.length;
    }

    /** The member after packet {@code i} in its group, or -1 after the last. */
    public int nextMember(int i) {
        return nextMember[i];
    }

    /** Members of group {@code g}. */
    public int members(int g) {
        return count[g];
    }

    /** Index (into the planned batch) of group {@code g}'s first packet. */
    public int first(int g) {
        return head[g];
    }

    /**
     * Writes group {@code g} of more than one member as one frame into {@code out} (at least
     * {@link VirtioNetHeader#LENGTH} + {@link #MAX_PACKET} bytes): the virtio header ({@code F_NEEDS_CSUM},
     * {@code GSO_TCPV4}/{@code V6}, the first segment's size) then the super-packet, whose TCP
     * checksum field holds the pseudo-header sum for the kernel to complete. Returns its length.
     */
    public int frame(int g, PacketBuffer[] packets, byte[] out) {
        PacketBuffer h = packets[head[g]];
        byte[] src = h.array();
        int s = h.start();
        boolean v4 = Ip.version(src, s) == 4;
        int ip = ipHeader(h);
        int headers = headersOf(h);
        int l3 = VirtioNetHeader.LENGTH;
        VirtioNetHeader.write(out, 0, VirtioNetHeader.F_NEEDS_CSUM, v4 ? VirtioNetHeader.GSO_TCPV4 : VirtioNetHeader.GSO_TCPV6,
                headers, segmentSize[g], ip, 16);
        System.arraycopy(src, s, out, l3, headers);
        int at = l3 + headers;
        int pushed = 0;
        for (int i = head[g]; i >= 0; i = nextMember[i]) {
            PacketBuffer m = packets[i];
            System.arraycopy(m.array(), m.start() + headersOf(m), out, at, packetPayload[i]);
            at += packetPayload[i];
            pushed = m.array()[m.start() + ip + 13] & PSH;
        }
        int total = at - l3;
        if (v4) {
            Ip.putU16(out, l3 + 2, total);
            Ip.fixIpv4Checksum(out, l3, ip);
        } else {
            Ip.putU16(out, l3 + 4, total - Ip.IPV6_HEADER);
        }
        int tcp = l3 + ip;
        out[tcp + 13] |= (byte) pushed;
        long pseudo = InternetChecksum.addPseudoHeader(out, l3 + (v4 ? 12 : 8), v4 ? 4 : 16, Ip.PROTO_TCP, total - ip, 0);
        Ip.putU16(out, tcp + 16, InternetChecksum.fold(pseudo));
        return at;
    }

    private static int ipHeader(PacketBuffer p) {
        return Ip.version(p.array(), p.start()) == 4 ? Ip.IPV4_MIN_HEADER : Ip.IPV6_HEADER;
    }

    private static int headersOf(PacketBuffer p) {
        int tcp = p.start() + ipHeader(p);
        return ipHeader(p) + ((p.array()[tcp + 12] & 0xFF) >>> 4) * 4;
    }

    /**
     * The TCP payload length of a packet that may be coalesced, or -1: IPv4 without options and
     * not a fragment, or IPv6 with TCP right after its header; lengths consistent; only ACK (and
     * PSH) set.
     */
    private static int tcpPayload(PacketBuffer p) {
        byte[] b = p.array();
        int s = p.start();
        int len = p.length();
        if (len < Ip.IPV4_MIN_HEADER + 20) {
            return -1;
        }
        int version = Ip.version(b, s);
        int ip;
        if (version == 4) {
            if ((b[s] & 0x0F) != 5 || b[s + 9] != Ip.PROTO_TCP || Ip.isIpv4Fragment(b, s) || Ip.u16(b, s + 2) != len) {
                return -1;
            }
            ip = Ip.IPV4_MIN_HEADER;
        } else if (version == 6) {
            if (len < Ip.IPV6_HEADER + 20 || b[s + 6] != Ip.PROTO_TCP || Ip.u16(b, s + 4) != len - Ip.IPV6_HEADER) {
                return -1;
            }
            ip = Ip.IPV6_HEADER;
        } else {
            return -1;
        }
        int tcpHeader = ((b[s + ip + 12] & 0xFF) >>> 4) * 4;
        int flags = b[s + ip + 13] & 0xFF;
        if (tcpHeader < 20 || ip + tcpHeader > len || (flags & ~(ACK | PSH)) != 0 || (flags & ACK) == 0) {
            return -1;
        }
        return len - ip - tcpHeader;
    }

    /** Same flow and the same headers but for what segmentation changes (lengths, ID, seq, checksums, PSH). */
    private static boolean sameFlow(PacketBuffer a, PacketBuffer b) {
        byte[] x = a.array();
        byte[] y = b.array();
        int i = a.start();
        int j = b.start();
        int version = Ip.version(x, i);
        if (version != Ip.version(y, j)) {
            return false;
        }
        int ip;
        if (version == 4) {
            if (x[i + 1] != y[j + 1] || x[i + 6] != y[j + 6] || x[i + 8] != y[j + 8]
                    || !Arrays.equals(x, i + 12, i + 20, y, j + 12, j + 20)) {
                return false;
            }
            ip = Ip.IPV4_MIN_HEADER;
        } else {
            if (!Arrays.equals(x, i, i + 4, y, j, j + 4) || x[i + 7] != y[j + 7]
                    || !Arrays.equals(x, i + 8, i + 40, y, j + 8, j + 40)) {
                return false;
            }
            ip = Ip.IPV6_HEADER;
        }
        int t = i + ip;
        int u = j + ip;
        int tcpHeader = ((x[t + 12] & 0xFF) >>> 4) * 4;
        return x[t + 12] == y[u + 12]
                && Arrays.equals(x, t, t + 4, y, u, u + 4)          // ports
                && Arrays.equals(x, t + 8, t + 12, y, u + 8, u + 12) // acknowledgment number
                && Arrays.equals(x, t + 14, t + 16, y, u + 14, u + 16) // window
                && Arrays.equals(x, t + 20, t + tcpHeader, y, u + 20, u + tcpHeader); // options
    }
}
