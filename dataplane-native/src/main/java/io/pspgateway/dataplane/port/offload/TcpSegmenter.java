package io.pspgateway.dataplane.port.offload;

import io.pspgateway.psp.Ip;
import io.pspgateway.psp.PacketBuffer;
import io.pspgateway.psp.PspHeader;
import java.util.concurrent.atomic.LongAdder;

/**
 * Turns the frames a TUN device with offloads hands over into the packets PSP seals one by one:
 * a TCP super-packet (up to 64 KB, {@code GSO_TCPV4}/{@code GSO_TCPV6}) becomes MTU-sized
 * segments, each a complete packet (its own IP length, IPv4 ID and header checksum, TCP
 * sequence number, flags only where they belong, TCP checksum computed in full); a single packet
 * whose checksum the kernel left partial ({@code F_NEEDS_CSUM}) gets it completed. The segment
 * size is the frame's {@code gso_size} (the route's MSS); the header lengths are read from the
 * packet itself, never from {@code hdr_len}.
 *
 * <p>One frame at a time, belonging to the thread that receives from the port: {@link #load}
 * takes a frame, {@link #emit} writes as many segments as the batch has room for and keeps its
 * place, so a super-packet larger than a batch continues in the next one.
 */
public final class TcpSegmenter {
    private static final int FIN = 0x01;
    private static final int PSH = 0x08;
    private static final int CWR = 0x80;
    private static final int MAX_FRAME = VirtioNetHeader.LENGTH + 0xFFFF + 64;

    private final byte[] frame = new byte[MAX_FRAME];
    private int packetEnd;
    private int ipHeader;
    private int headers;
    private int segmentSize;
    private int payloadStart;
    private int nextPayload;
    private int segmentIndex;
    private boolean v4;
    private boolean pending;
    /** Read by other threads (the counters), so added to once per frame or batch, not per segment. */
    private final LongAdder superPackets = new LongAdder();
    private final LongAdder segments = new LongAdder();

    /** The buffer a port reads a frame into: the virtio header at 0, then the packet. */
    public byte[] frame() {
        return frame;
    }

    /**
     * Takes the frame {@code frame()[0, length)}. Returns false, and takes nothing, when it is
     * malformed (too short, a header length or checksum position outside the packet, an offload
     * type this port never enabled) or when its segments would not fit a buffer of
     * {@code bufferCapacity} bytes: the caller counts it as a receive drop.
     */
    public boolean load(int length, int bufferCapacity) {
        pending = false;
        int l3 = VirtioNetHeader.LENGTH;
        if (length < l3 + Ip.IPV4_MIN_HEADER) {
            return false;
        }
        packetEnd = length;
        int room = bufferCapacity - PacketBuffer.DEFAULT_HEADROOM - PspHeader.ICV_LENGTH;
        int type = VirtioNetHeader.gsoType(frame, 0) & ~VirtioNetHeader.GSO_ECN;
        if (type == VirtioNetHeader.GSO_NONE) {
            return loadSingle(length - l3, room);
        }
        if (type != VirtioNetHeader.GSO_TCPV4 && type != VirtioNetHeader.GSO_TCPV6 || !parseTcp(type == VirtioNetHeader.GSO_TCPV4)) {
            return false;
        }
        segmentSize = VirtioNetHeader.gsoSize(frame, 0);
        int payload = packetEnd - payloadStart;
        if (segmentSize == 0 || headers + Math.min(segmentSize, payload) > room) {
            return false;
        }
        if (payload <= segmentSize) {
            segmentSize = Math.max(payload, 1);
        } else {
            superPackets.increment();
        }
        nextPayload = payloadStart;
        segmentIndex = 0;
        pending = true;
        return true;
    }

    private boolean loadSingle(int packetLength, int room) {
        int l3 = VirtioNetHeader.LENGTH;
        if (packetLength > room) {
            return false;
        }
        if ((VirtioNetHeader.flags(frame, 0) & VirtioNetHeader.F_NEEDS_CSUM) != 0) {
            int start = VirtioNetHeader.csumStart(frame, 0);
            int field = start + VirtioNetHeader.csumOffset(frame, 0);
            if (field + 2 > packetLength || start >= packetLength) {
                return false;
            }
            // the field holds the pseudo-header sum: summing from csum_start over it completes the checksum
            int sum = InternetChecksum.finish(InternetChecksum.add(frame, l3 + start, packetLength - start, 0));
            boolean udp = VirtioNetHeader.csumOffset(frame, 0) == 6;
            Ip.putU16(frame, l3 + field, udp && sum == 0 ? 0xFFFF : sum);
        }
        // one segment of the whole packet, written as is
        ipHeader = 0;
        headers = packetLength;
        payloadStart = packetEnd;
        nextPayload = packetEnd;
        segmentSize = 1;
        segmentIndex = -1;
        pending = true;
        return true;
    }

    /** Reads the IP and TCP header lengths of a super-packet; false when they do not describe one. */
    private boolean parseTcp(boolean ipv4) {
        int l3 = VirtioNetHeader.LENGTH;
        v4 = ipv4;
        if (ipv4) {
            ipHeader = Ip.ipv4HeaderLength(frame, l3);
            if (Ip.version(frame, l3) != 4 || ipHeader < Ip.IPV4_MIN_HEADER || frame[l3 + 9] != Ip.PROTO_TCP
                    || Ip.isIpv4Fragment(frame, l3)) {
                return false;
            }
        } else {
            ipHeader = Ip.IPV6_HEADER;
            if (packetEnd < l3 + Ip.IPV6_HEADER || Ip.version(frame, l3) != 6 || frame[l3 + 6] != Ip.PROTO_TCP) {
                return false;
            }
        }
        int tcp = l3 + ipHeader;
        if (tcp + 20 > packetEnd) {
            return false;
        }
        int tcpHeader = ((frame[tcp + 12] & 0xFF) >>> 4) * 4;
        if (tcpHeader < 20 || tcp + tcpHeader > packetEnd) {
            return false;
        }
        headers = ipHeader + tcpHeader;
        payloadStart = l3 + headers;
        return true;
    }

    /** True while the loaded frame has segments not yet emitted. */
    public boolean hasMore() {
        return pending;
    }

    /**
     * Writes the next segments into {@code batch[from, batch.length)}, each {@link
     * PacketBuffer#DEFAULT_HEADROOM} into its buffer; returns the index after the last one written.
     */
    public int emit(PacketBuffer[] batch, int from) {
        int n = from;
        while (pending && n < batch.length) {
            PacketBuffer buf = batch[n++];
            if (segmentIndex < 0) {
                buf.load(frame, VirtioNetHeader.LENGTH, headers, PacketBuffer.DEFAULT_HEADROOM);
                pending = false;
            } else {
                writeSegment(buf);
            }
        }
        segments.add(n - from);
        return n;
    }

    private void writeSegment(PacketBuffer buf) {
        int l3 = VirtioNetHeader.LENGTH;
        int length = Math.min(segmentSize, packetEnd - nextPayload);
        boolean first = nextPayload == payloadStart;
        boolean last = nextPayload + length == packetEnd;
        byte[] d = buf.array();
        int s = PacketBuffer.DEFAULT_HEADROOM;
        System.arraycopy(frame, l3, d, s, headers);
        System.arraycopy(frame, nextPayload, d, s + headers, length);
        if (v4) {
            Ip.putU16(d, s + 2, headers + length);
            Ip.putU16(d, s + 4, (Ip.u16(frame, l3 + 4) + segmentIndex) & 0xFFFF);
            Ip.fixIpv4Checksum(d, s, ipHeader);
        } else {
            Ip.putU16(d, s + 4, headers - Ip.IPV6_HEADER + length);
        }
        int tcp = s + ipHeader;
        Ip.putU32(d, tcp + 4, Ip.u32(frame, l3 + ipHeader + 4) + (nextPayload - payloadStart));
        int flags = d[tcp + 13] & 0xFF;
        if (!last) {
            flags &= ~(FIN | PSH);
        }
        if (!first) {
            flags &= ~CWR;
        }
        d[tcp + 13] = (byte) flags;
        Ip.putU16(d, tcp + 16, 0);
        int tcpLength = headers - ipHeader + length;
        long sum = InternetChecksum.addPseudoHeader(d, s + (v4 ? 12 : 8), v4 ? 4 : 16, Ip.PROTO_TCP, tcpLength, 0);
        Ip.putU16(d, tcp + 16, InternetChecksum.finish(InternetChecksum.add(d, tcp, tcpLength, sum)));
        buf.setBounds(s, s + headers + length);
        nextPayload += length;
        segmentIndex++;
        pending = nextPayload < packetEnd;
    }

    /** TCP super-packets split so far (frames with more than one segment). */
    public long superPackets() {
        return superPackets.sum();
    }

    /** Packets emitted so far, segments and single packets alike. */
    public long segments() {
        return segments.sum();
    }
}
