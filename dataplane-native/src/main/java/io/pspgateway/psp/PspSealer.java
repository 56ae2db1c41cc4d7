package io.pspgateway.psp;

/**
 * Encapsulates and seals inner IP packets in place (the transmit half of the PSP codec).
 *
 * <p>Tunnel mode: {@code [outer IP][UDP][PSP hdr (+VC)][inner IP packet][ICV]}.
 * Transport mode: {@code [original IP hdr][UDP][PSP hdr (+VC)][L4 header + payload][ICV]}, with
 * the IP protocol set to UDP and the lengths and checksum fixed.
 *
 * <p>The first Crypt Offset * 4 bytes after the IV (the cookie, when present, then the start of
 * the payload) stay in the clear and are authenticated with the base header; the rest is
 * encrypted. The packet grows into the buffer's headroom and tailroom; nothing is copied but
 * the few header bytes that move.
 *
 * <p>Not thread-safe: each packet thread owns one sealer; the SAs it seals with are shared.
 */
public final class PspSealer {
    private static final int MAX_IP_PACKET = 0xFFFF;

    private final PspAead aead = new PspAead();
    private final PspHeader header = new PspHeader();
    private final int ivRange;
    /** The IVs reserved from {@link #rangeOf} and not used yet: [nextIv, rangeEnd). */
    private IvSequence rangeOf;
    private long nextIv;
    private long rangeEnd;

    /** A sealer that takes each IV from its sequence as it seals (IVs follow the sequence exactly). */
    public PspSealer() {
        this(1);
    }

    /**
     * A sealer that reserves {@code ivRange} consecutive IVs at a time and uses them while it keeps
     * sealing under the same sequence: one atomic operation per range instead of per packet (the
     * segments of a TCP super-packet all go under one key). IVs stay unique under a key; the
     * unused rest of a range is skipped when the sealer moves to another key, and with several
     * sealers on one key the IVs on the wire interleave instead of increasing strictly.
     */
    public PspSealer(int ivRange) {
        if (ivRange < 1) {
            throw new IllegalArgumentException("ivRange must be at least 1: " + ivRange);
        }
        this.ivRange = ivRange;
    }

    /**
     * Seals the IP packet in {@code pkt} under {@code sa}. On {@link SealStatus#SEALED} the buffer
     * holds the PSP packet (starting with the outer or original IP header); on any other status
     * the buffer is unchanged.
     */
    public SealStatus seal(PacketBuffer pkt, TxSecurityAssociation sa) {
        return seal(pkt, sa, false);
    }

    /**
     * As {@link #seal(PacketBuffer, TxSecurityAssociation)}, with the S bit (sample at receiver)
     * set when {@code sample}; the bit is covered by the ICV.
     */
    public SealStatus seal(PacketBuffer pkt, TxSecurityAssociation sa, boolean sample) {
        byte[] b = pkt.array();
        int l3 = pkt.start();
        int len = pkt.length();
        if (len < 1) {
            return SealStatus.MALFORMED_INNER;
        }
        int version = Ip.version(b, l3);
        int ipHeaderLength;
        int protocol;
        if (version == 4) {
            if (len < Ip.IPV4_MIN_HEADER) {
                return SealStatus.MALFORMED_INNER;
            }
            ipHeaderLength = Ip.ipv4HeaderLength(b, l3);
            if (ipHeaderLength < Ip.IPV4_MIN_HEADER || ipHeaderLength > len) {
                return SealStatus.MALFORMED_INNER;
            }
            if (Ip.u16(b, l3 + Ip.V4_TOTAL_LENGTH) != len) {
                return SealStatus.BAD_INNER_LENGTH;
            }
            protocol = Ip.u8(b, l3 + Ip.V4_PROTOCOL);
        } else if (version == 6) {
            if (len < Ip.IPV6_HEADER) {
                return SealStatus.MALFORMED_INNER;
            }
            ipHeaderLength = Ip.IPV6_HEADER;
            if (Ip.u16(b, l3 + Ip.V6_PAYLOAD_LENGTH) + Ip.IPV6_HEADER != len) {
                return SealStatus.BAD_INNER_LENGTH;
            }
            protocol = Ip.u8(b, l3 + Ip.V6_NEXT_HEADER);
        } else {
            return SealStatus.MALFORMED_INNER;
        }
        int l4 = l3 + ipHeaderLength;
        int sourcePort = sa.sourcePorts().choose(b, l3, l4, protocol, len - ipHeaderLength);
        return sa.mode() == PspMode.TUNNEL
                ? sealTunnel(pkt, sa, version, sourcePort, sample)
                : sealTransport(pkt, sa, version, ipHeaderLength, protocol, sourcePort, sample);
    }

    private SealStatus sealTunnel(PacketBuffer pkt, TxSecurityAssociation sa, int innerVersion, int sourcePort,
                                  boolean sample) {
        int innerLen = pkt.length();
        if (sa.cryptOffsetWords() * PspHeader.CRYPT_OFFSET_UNIT > innerLen) {
            return SealStatus.CRYPT_OFFSET_PAST_END;
        }
        int pspLen = PspHeader.length(sa.withCookie());
        int outerLen = sa.outerIp().headerLength(innerVersion);
        int front = outerLen + Ip.UDP_HEADER + pspLen;
        if (!fits(pkt, front, outerLen + Ip.UDP_HEADER + pspLen + innerLen + PspHeader.ICV_LENGTH)) {
            return SealStatus.TOO_BIG;
        }
        byte[] b = pkt.array();
        int inner = pkt.start();
        int outer = inner - front;
        int udpLen = Ip.UDP_HEADER + pspLen + innerLen + PspHeader.ICV_LENGTH;
        sa.outerIp().write(b, outer, inner, innerVersion, udpLen);
        int nextHeader = innerVersion == 6 ? Ip.PROTO_IPV6 : Ip.PROTO_IPV4;
        finish(pkt, sa, outer, outer + outerLen, sourcePort, udpLen, nextHeader, inner + innerLen, sample);
        return SealStatus.SEALED;
    }

    private SealStatus sealTransport(PacketBuffer pkt, TxSecurityAssociation sa, int version, int ipHeaderLength,
                                     int protocol, int sourcePort, boolean sample) {
        if (version == 6 && Ip.isIpv6ExtensionHeader(protocol)) {
            return SealStatus.UNSUPPORTED_NEXT_HEADER;
        }
        int l4Len = pkt.length() - ipHeaderLength;
        if (sa.cryptOffsetWords() * PspHeader.CRYPT_OFFSET_UNIT > l4Len) {
            return SealStatus.CRYPT_OFFSET_PAST_END;
        }
        int pspLen = PspHeader.length(sa.withCookie());
        int inserted = Ip.UDP_HEADER + pspLen;
        if (!fits(pkt, inserted, pkt.length() + inserted + PspHeader.ICV_LENGTH)) {
            return SealStatus.TOO_BIG;
        }
        byte[] b = pkt.array();
        int oldL3 = pkt.start();
        int end = pkt.end();
        int l3 = oldL3 - inserted;
        System.arraycopy(b, oldL3, b, l3, ipHeaderLength);
        int udpLen = Ip.UDP_HEADER + pspLen + l4Len + PspHeader.ICV_LENGTH;
        if (version == 4) {
            Ip.putU16(b, l3 + Ip.V4_TOTAL_LENGTH, ipHeaderLength + udpLen);
            b[l3 + Ip.V4_PROTOCOL] = Ip.PROTO_UDP;
            Ip.fixIpv4Checksum(b, l3, ipHeaderLength);
        } else {
            Ip.putU16(b, l3 + Ip.V6_PAYLOAD_LENGTH, udpLen);
            b[l3 + Ip.V6_NEXT_HEADER] = Ip.PROTO_UDP;
        }
        finish(pkt, sa, l3, l3 + ipHeaderLength, sourcePort, udpLen, protocol, end, sample);
        return SealStatus.SEALED;
    }

    private long nextIv(IvSequence ivs) {
        if (ivs != rangeOf || nextIv == rangeEnd) {
            nextIv = ivs.reserve(ivRange);
            rangeEnd = nextIv + ivRange;
            rangeOf = ivs;
        }
        return nextIv++;
    }

    private static boolean fits(PacketBuffer pkt, int front, int sealedLength) {
        return pkt.headroom() >= front && pkt.tailroom() >= PspHeader.ICV_LENGTH && sealedLength <= MAX_IP_PACKET;
    }

    /** Writes UDP and PSP headers at {@code udp}, seals everything up to {@code payloadEnd}, sets the bounds. */
    private void finish(PacketBuffer pkt, TxSecurityAssociation sa, int l3, int udp, int sourcePort, int udpLen,
                        int nextHeader, int payloadEnd, boolean sample) {
        byte[] b = pkt.array();
        Ip.putU16(b, udp, sourcePort);
        Ip.putU16(b, udp + 2, PspHeader.UDP_PORT);
        Ip.putU16(b, udp + 4, udpLen);
        Ip.putU16(b, udp + 6, 0);
        int psp = udp + Ip.UDP_HEADER;
        long iv = nextIv(sa.ivs());
        header.wrap(pkt.buffer(), psp)
                .write(nextHeader, sa.cryptOffsetWords(), sa.version(), sa.withCookie(), sa.spi(), iv, sa.cookie())
                .setSampleBit(sample);
        int dataOff = psp + PspHeader.BASE_LENGTH + sa.cryptOffsetWords() * PspHeader.CRYPT_OFFSET_UNIT;
        aead.seal(sa.key(), sa.version(), sa.spi(), iv, b, psp, dataOff, payloadEnd - dataOff);
        pkt.setBounds(l3, payloadEnd + PspHeader.ICV_LENGTH);
    }
}
