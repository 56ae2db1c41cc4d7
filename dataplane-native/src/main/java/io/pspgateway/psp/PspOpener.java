package io.pspgateway.psp;

import javax.crypto.SecretKey;

/**
 * Validates, authenticates, decrypts and decapsulates received PSP packets in place (the
 * receive half of the PSP codec). Every length is checked before it is used, so no input,
 * however hostile, reads outside the packet: the worst a packet gets is a drop status.
 *
 * <p>UDP checksums are not verified (0 is accepted, as the spec requires): the ICV covers
 * everything that matters. Ethernet padding after the IP packet is trimmed.
 *
 * <p>Not thread-safe: each packet thread owns one opener.
 */
public final class PspOpener {
    private static final int MIN_PSP = Ip.UDP_HEADER + PspHeader.BASE_LENGTH + PspHeader.ICV_LENGTH;

    private final PspAead aead = new PspAead();
    private final PspHeader header = new PspHeader();
    private final int udpPort;

    /** An opener for PSP on the standard UDP port 1000. */
    public PspOpener() {
        this(PspHeader.UDP_PORT);
    }

    /** An opener for PSP on UDP destination port {@code udpPort}. */
    public PspOpener(int udpPort) {
        if (udpPort < 1 || udpPort > 0xFFFF) {
            throw new IllegalArgumentException("UDP port must be 1-65535: " + udpPort);
        }
        this.udpPort = udpPort;
    }

    /**
     * Opens the IP packet in {@code pkt}. On {@link OpenStatus#OPENED} the buffer holds the inner
     * packet (tunnel mode) or the original packet (transport mode) and {@code info} describes the
     * PSP header; on any other status the packet must be dropped and counted, and the buffer's
     * content is unspecified.
     */
    public OpenStatus open(PacketBuffer pkt, RxKeys keys, RxInfo info) {
        byte[] b = pkt.array();
        int l3 = pkt.start();
        int len = pkt.length();
        if (len < 1) {
            return OpenStatus.TRUNCATED;
        }
        int ipVersion = Ip.version(b, l3);
        int ipHeaderLength;
        int l3End;
        if (ipVersion == 4) {
            if (len < Ip.IPV4_MIN_HEADER) {
                return OpenStatus.TRUNCATED;
            }
            ipHeaderLength = Ip.ipv4HeaderLength(b, l3);
            int total = Ip.u16(b, l3 + Ip.V4_TOTAL_LENGTH);
            if (ipHeaderLength < Ip.IPV4_MIN_HEADER || total < ipHeaderLength || total > len) {
                return OpenStatus.BAD_LENGTH;
            }
            if (Ip.isIpv4Fragment(b, l3)) {
                return OpenStatus.FRAGMENT;
            }
            if (Ip.u8(b, l3 + Ip.V4_PROTOCOL) != Ip.PROTO_UDP) {
                return OpenStatus.NOT_UDP;
            }
            l3End = l3 + total;
        } else if (ipVersion == 6) {
            if (len < Ip.IPV6_HEADER) {
                return OpenStatus.TRUNCATED;
            }
            ipHeaderLength = Ip.IPV6_HEADER;
            int total = Ip.IPV6_HEADER + Ip.u16(b, l3 + Ip.V6_PAYLOAD_LENGTH);
            if (total > len) {
                return OpenStatus.BAD_LENGTH;
            }
            if (Ip.u8(b, l3 + Ip.V6_NEXT_HEADER) != Ip.PROTO_UDP) {
                return OpenStatus.NOT_UDP;
            }
            l3End = l3 + total;
        } else {
            return OpenStatus.TRUNCATED;
        }
        int udp = l3 + ipHeaderLength;
        int udpAvailable = l3End - udp;
        if (udpAvailable < Ip.UDP_HEADER) {
            return OpenStatus.TRUNCATED;
        }
        if (Ip.u16(b, udp + 2) != udpPort) {
            return OpenStatus.WRONG_PORT;
        }
        if (Ip.u16(b, udp + 4) != udpAvailable) {
            return OpenStatus.BAD_LENGTH;
        }
        if (udpAvailable < MIN_PSP) {
            return OpenStatus.TRUNCATED;
        }
        int psp = udp + Ip.UDP_HEADER;
        header.wrap(pkt.buffer(), psp);
        // bytes between the base header and the ICV, the header extension included
        int afterBase = udpAvailable - MIN_PSP;
        int extension = header.extensionBytes();
        if (extension < 0 || extension > afterBase || (header.cookiePresent() && extension < PspHeader.VC_LENGTH)) {
            return OpenStatus.BAD_HEADER_EXTENSION;
        }
        int cryptOffset = header.cryptOffsetBytes();
        if (cryptOffset > afterBase) {
            return OpenStatus.CRYPT_OFFSET_PAST_END;
        }
        PspVersion version = PspVersion.fromWire(header.versionField());
        if (version == null) {
            return OpenStatus.UNSUPPORTED_VERSION;
        }
        if (!header.alwaysOneBit()) {
            return OpenStatus.ALWAYS_ONE_BIT_CLEAR;
        }
        int spi = header.spi();
        long iv = header.iv();
        SecretKey key = keys.keyFor(spi, version);
        if (key == null) {
            return OpenStatus.NO_KEY;
        }
        int dataOff = psp + PspHeader.BASE_LENGTH + cryptOffset;
        int icv = l3End - PspHeader.ICV_LENGTH;
        if (!aead.open(key, version, spi, iv, b, psp, dataOff, icv - dataOff)) {
            return OpenStatus.AUTH_FAILED;
        }
        int nextHeader = header.nextHeader();
        info.spi = spi;
        info.version = version;
        info.iv = iv;
        info.sample = header.sampleBit();
        info.drop = header.dropBit();
        info.cookiePresent = header.cookiePresent();
        info.cookie = info.cookiePresent ? header.cookie() : 0;
        info.nextHeader = nextHeader;
        int inner = psp + PspHeader.BASE_LENGTH + extension;
        info.payloadBytes = icv - inner;
        if (nextHeader == Ip.PROTO_IPV4 || nextHeader == Ip.PROTO_IPV6) {
            info.tunnel = true;
            int expected = nextHeader == Ip.PROTO_IPV4 ? 4 : 6;
            if (inner == icv || Ip.version(b, inner) != expected) {
                return OpenStatus.BAD_INNER;
            }
            pkt.setBounds(inner, icv);
            return OpenStatus.OPENED;
        }
        info.tunnel = false;
        int removed = inner - udp;
        int newL3 = l3 + removed;
        System.arraycopy(b, l3, b, newL3, ipHeaderLength);
        int payload = icv - inner;
        if (ipVersion == 4) {
            Ip.putU16(b, newL3 + Ip.V4_TOTAL_LENGTH, ipHeaderLength + payload);
            b[newL3 + Ip.V4_PROTOCOL] = (byte) nextHeader;
            Ip.fixIpv4Checksum(b, newL3, ipHeaderLength);
        } else {
            Ip.putU16(b, newL3 + Ip.V6_PAYLOAD_LENGTH, payload);
            b[newL3 + Ip.V6_NEXT_HEADER] = (byte) nextHeader;
        }
        pkt.setBounds(newL3, icv);
        return OpenStatus.OPENED;
    }
}
