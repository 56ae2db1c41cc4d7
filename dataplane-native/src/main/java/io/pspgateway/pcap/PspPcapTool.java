package io.pspgateway.pcap;

import io.pspgateway.psp.Ethernet;
import io.pspgateway.psp.Ip;
import io.pspgateway.psp.IvSequence;
import io.pspgateway.psp.MasterKeyPair;
import io.pspgateway.psp.OpenStatus;
import io.pspgateway.psp.OuterIp;
import io.pspgateway.psp.PacketBuffer;
import io.pspgateway.psp.PspHeader;
import io.pspgateway.psp.PspKeyDeriver;
import io.pspgateway.psp.PspMode;
import io.pspgateway.psp.PspOpener;
import io.pspgateway.psp.PspSealer;
import io.pspgateway.psp.RxInfo;
import io.pspgateway.psp.RxKeys;
import io.pspgateway.psp.SealStatus;
import io.pspgateway.psp.SourcePortPolicy;
import io.pspgateway.psp.TxSecurityAssociation;
import java.io.IOException;
import java.util.Arrays;
import javax.crypto.SecretKey;

/**
 * The pcap encrypt and decrypt tools, behaving like Google's reference {@code psp_encrypt} and
 * {@code psp_decrypt}: Ethernet frames in, Ethernet frames out, the same header choices (outer
 * header mirrored from the inner one, UDP source port = inner sport XOR dport, IV counting from
 * 1 per file, a zero cookie), so the output is byte-identical. Unlike the reference, a bad packet
 * is skipped and counted by reason instead of aborting the file.
 */
public final class PspPcapTool {
    /** Largest frame the reference tools handle (a jumbo Ethernet frame). */
    public static final int MAX_FRAME = PcapWriter.REFERENCE_SNAPLEN;

    private static final int RESERVED_BIT_7 = 0x80;

    /** Why the tool left a frame out before it reached the PSP codec. */
    enum FrameProblem { PARTIAL_CAPTURE, TRUNCATED_FRAME, NOT_IP, FRAME_TOO_BIG }

    private PspPcapTool() {
    }

    /**
     * Encrypts every frame of {@code in} into {@code out} with {@code config}. With
     * {@code corrupt}, sets reserved bit 7 of every output header after sealing (as the
     * reference tool's {@code -e}), so every packet fails authentication at the receiver.
     */
    public static PcapRunSummary encrypt(ReferenceConfig config, PcapReader in, PcapWriter out, boolean corrupt)
            throws IOException {
        PcapRunSummary summary = new PcapRunSummary();
        byte[] derived = new PspKeyDeriver(config.masterKeys()).derive(config.spi(), config.version());
        SecretKey key = TxSecurityAssociation.aesKey(derived);
        Arrays.fill(derived, (byte) 0);
        IvSequence ivs = IvSequence.counterFrom(1);
        TxSecurityAssociation[] byIpVersion = new TxSecurityAssociation[7];
        for (int ipVersion : new int[] {4, 6}) {
            byIpVersion[ipVersion] = new TxSecurityAssociation(config.spi(), config.version(), key, ivs, config.mode(),
                    config.cryptOffsetWords(ipVersion), config.withCookie(), 0L, OuterIp.mirrorInner(),
                    SourcePortPolicy.REFERENCE);
        }
        PspSealer sealer = new PspSealer();
        PacketBuffer pkt = new PacketBuffer(PacketBuffer.DEFAULT_HEADROOM + MAX_FRAME + PspHeader.ICV_LENGTH);
        for (PcapRecord record; (record = in.next()) != null; ) {
            int ipVersion = loadIpPacket(record, pkt, summary);
            if (ipVersion < 0) {
                continue;
            }
            if (referenceSkips(pkt, ipVersion, config.mode())) {
                summary.skip(SealStatus.UNSUPPORTED_NEXT_HEADER);
                continue;
            }
            SealStatus status = sealer.seal(pkt, byIpVersion[ipVersion]);
            if (status != SealStatus.SEALED) {
                if (status == SealStatus.CRYPT_OFFSET_PAST_END || status == SealStatus.UNSUPPORTED_NEXT_HEADER) {
                    summary.skip(status);
                } else {
                    summary.fail(status);
                }
                continue;
            }
            if (Ethernet.HEADER + pkt.length() > MAX_FRAME) {
                summary.fail(FrameProblem.FRAME_TOO_BIG);
                continue;
            }
            if (corrupt) {
                byte[] b = pkt.array();
                int outerHeader = Ip.version(b, pkt.start()) == 6 ? Ip.IPV6_HEADER : Ip.ipv4HeaderLength(b, pkt.start());
                b[pkt.start() + outerHeader + Ip.UDP_HEADER + 2] |= (byte) RESERVED_BIT_7;
            }
            out.write(record.withData(frame(record.data(), pkt)));
            summary.processed();
        }
        return summary;
    }

    /** Decrypts every PSP frame of {@code in} into {@code out}, deriving keys from {@code masterKeys}. */
    public static PcapRunSummary decrypt(MasterKeyPair masterKeys, PcapReader in, PcapWriter out) throws IOException {
        PcapRunSummary summary = new PcapRunSummary();
        RxKeys keys = RxKeys.derivedFrom(masterKeys);
        PspOpener opener = new PspOpener();
        RxInfo info = new RxInfo();
        PacketBuffer pkt = new PacketBuffer(MAX_FRAME + PspHeader.ICV_LENGTH);
        for (PcapRecord record; (record = in.next()) != null; ) {
            if (loadIpPacket(record, pkt, summary) < 0) {
                continue;
            }
            OpenStatus status = opener.open(pkt, keys, info);
            if (status == OpenStatus.OPENED) {
                out.write(record.withData(frame(record.data(), pkt)));
                summary.processed();
            } else if (status.specCounter() == OpenStatus.SpecCounter.NOT_PSP) {
                summary.skip(status);
            } else {
                summary.fail(status);
            }
        }
        return summary;
    }

    /**
     * The reference encrypts IPv6 in transport mode only when TCP or UDP follows the fixed header;
     * the gateway's sealer takes any upper-layer protocol (ICMPv6 too), so the tool skips the rest
     * itself to stay byte-identical with the reference's output.
     */
    private static boolean referenceSkips(PacketBuffer pkt, int ipVersion, PspMode mode) {
        int protocol = Ip.u8(pkt.array(), pkt.start() + 6);
        return mode == PspMode.TRANSPORT && ipVersion == 6 && protocol != Ip.PROTO_TCP && protocol != Ip.PROTO_UDP;
    }

    /**
     * Puts the IP packet of an Ethernet frame into {@code pkt}, trimmed of Ethernet padding, and
     * returns its IP version; or counts why it cannot and returns -1.
     */
    private static int loadIpPacket(PcapRecord record, PacketBuffer pkt, PcapRunSummary summary) {
        if (!record.complete()) {
            summary.fail(FrameProblem.PARTIAL_CAPTURE);
            return -1;
        }
        byte[] frame = record.data();
        if (frame.length < Ethernet.HEADER) {
            summary.fail(FrameProblem.TRUNCATED_FRAME);
            return -1;
        }
        int etherType = Ip.u16(frame, 12);
        if (etherType != Ethernet.TYPE_IPV4 && etherType != Ethernet.TYPE_IPV6) {
            summary.skip(FrameProblem.NOT_IP);
            return -1;
        }
        int ipVersion = etherType == Ethernet.TYPE_IPV6 ? 6 : 4;
        int ipLength = frame.length - Ethernet.HEADER;
        int claimed = claimedIpLength(frame, Ethernet.HEADER, ipLength, ipVersion);
        if (claimed >= 0 && claimed < ipLength) {
            ipLength = claimed;
        }
        if (!pkt.load(frame, Ethernet.HEADER, ipLength, PacketBuffer.DEFAULT_HEADROOM)) {
            summary.fail(FrameProblem.FRAME_TOO_BIG);
            return -1;
        }
        return ipVersion;
    }

    /** The packet length its IP header claims, or -1 when the header is not there to say. */
    private static int claimedIpLength(byte[] b, int off, int available, int ipVersion) {
        if (ipVersion == 4) {
            return available >= Ip.IPV4_MIN_HEADER ? Ip.u16(b, off + 2) : -1;
        }
        return available >= Ip.IPV6_HEADER ? Ip.IPV6_HEADER + Ip.u16(b, off + 4) : -1;
    }

    /** The input frame's Ethernet header (EtherType fixed to the new IP version) in front of {@code pkt}. */
    private static byte[] frame(byte[] original, PacketBuffer pkt) {
        byte[] out = new byte[Ethernet.HEADER + pkt.length()];
        System.arraycopy(original, 0, out, 0, 12);
        Ip.putU16(out, 12, Ip.version(pkt.array(), pkt.start()) == 6 ? Ethernet.TYPE_IPV6 : Ethernet.TYPE_IPV4);
        System.arraycopy(pkt.array(), pkt.start(), out, Ethernet.HEADER, pkt.length());
        return out;
    }
}
