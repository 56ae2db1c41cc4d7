package io.pspgateway.psp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PspCodecTest {
    static final MasterKeyPair KEYS = new MasterKeyPair(PspKeyDeriverTest.K0, PspKeyDeriverTest.K1);
    static final int SPI = 0x9A345678;

    private final PspSealer sealer = new PspSealer();
    private final PspOpener opener = new PspOpener();
    private final RxKeys rxKeys = RxKeys.derivedFrom(KEYS);
    private final RxInfo info = new RxInfo();

    static TxSecurityAssociation sa(PspMode mode, PspVersion version, int offsetWords, boolean vc, OuterIp outer) {
        byte[] key = new PspKeyDeriver(KEYS).derive(SPI, version);
        return new TxSecurityAssociation(SPI, version, TxSecurityAssociation.aesKey(key), IvSequence.counterFrom(1),
                mode, offsetWords, vc, vc ? 0x1122334455667788L : 0, outer, SourcePortPolicy.FLOW_HASH);
    }

    static OuterIp outer(int family) {
        try {
            return family == 6
                    ? OuterIp.between(InetAddress.getByName("2001:db8::1"), InetAddress.getByName("2001:db8::2"))
                    : OuterIp.between(InetAddress.getByName("192.0.2.1"), InetAddress.getByName("192.0.2.2"));
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static Stream<Arguments> everyCombination() {
        List<Arguments> all = new ArrayList<>();
        for (PspMode mode : PspMode.values()) {
            for (int inner : new int[] {4, 6}) {
                for (int outerFamily : mode == PspMode.TUNNEL ? new int[] {4, 6} : new int[] {inner}) {
                    for (PspVersion version : PspVersion.values()) {
                        for (boolean vc : new boolean[] {false, true}) {
                            for (int offset : new int[] {0, 1, 2, 5}) {
                                all.add(Arguments.of(mode, inner, outerFamily, version, vc, offset));
                            }
                        }
                    }
                }
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} inner v{1} outer v{2} {3} vc={4} offset={5}")
    @MethodSource("everyCombination")
    void sealThenOpenGivesBackThePacket(PspMode mode, int inner, int outerFamily, PspVersion version, boolean vc,
                                        int offset) {
        byte[] original = Packets.inner(inner, 100);
        PacketBuffer pkt = Packets.load(original);
        TxSecurityAssociation sa = sa(mode, version, offset, vc, outer(outerFamily));

        assertEquals(SealStatus.SEALED, sealer.seal(pkt, sa));
        int expectedGrowth = Ip.UDP_HEADER + PspHeader.length(vc) + PspHeader.ICV_LENGTH
                + (mode == PspMode.TUNNEL ? (outerFamily == 6 ? 40 : 20) : 0);
        assertEquals(original.length + expectedGrowth, pkt.length());
        int ipHeader = Ip.version(pkt.array(), pkt.start()) == 6 ? 40 : 20;
        assertEquals(mode == PspMode.TUNNEL ? outerFamily : inner, Ip.version(pkt.array(), pkt.start()));
        PspHeader h = new PspHeader().wrap(pkt.buffer(), pkt.start() + ipHeader + Ip.UDP_HEADER);
        assertEquals(SPI, h.spi());
        assertEquals(1, h.iv());
        assertEquals(version.wire(), h.versionField());
        assertEquals(offset, h.cryptOffsetWords());
        assertEquals(vc, h.cookiePresent());
        assertTrue(h.alwaysOneBit());

        assertEquals(OpenStatus.OPENED, opener.open(pkt, rxKeys, info));
        assertArrayEquals(original, pkt.toByteArray());
        assertEquals(SPI, info.spi());
        assertEquals(version, info.version());
        assertEquals(mode == PspMode.TUNNEL, info.tunnel());
        assertEquals(vc ? 0x1122334455667788L : 0, info.cookie());
        assertEquals(mode == PspMode.TUNNEL ? original.length : original.length - ipHeaderOf(original), info.payloadBytes());
    }

    @Test
    void icmpv6InTransportModeSealsAndOpensWithItsNextHeaderKept() {
        // a ping6 between transport-mode gateways: ICMPv6 is an upper-layer protocol, not an extension header
        byte[] echo = Packets.ipv6Udp(1, 2, 24);
        echo[6] = 58;
        PacketBuffer pkt = Packets.load(echo);
        assertEquals(SealStatus.SEALED, sealer.seal(pkt, sa(PspMode.TRANSPORT, PspVersion.V1, 0, false, null)));
        assertEquals(Ip.PROTO_UDP, pkt.array()[pkt.start() + 6], "the outer next header is UDP");
        assertEquals(58, new PspHeader().wrap(pkt.buffer(), pkt.start() + 40 + Ip.UDP_HEADER).nextHeader());
        assertEquals(OpenStatus.OPENED, opener.open(pkt, rxKeys, info));
        assertArrayEquals(echo, pkt.toByteArray());
    }

    private static int ipHeaderOf(byte[] packet) {
        return Ip.version(packet, 0) == 6 ? 40 : 20;
    }

    @Test
    void gcmHidesThePayloadAndGmacOnlyAuthenticatesIt() {
        byte[] original = Packets.ipv4Udp(1, 2, 64);
        PacketBuffer gcm = Packets.load(original);
        sealer.seal(gcm, sa(PspMode.TUNNEL, PspVersion.V0, 0, false, outer(4)));
        PacketBuffer gmac = Packets.load(original);
        sealer.seal(gmac, sa(PspMode.TUNNEL, PspVersion.V2, 0, false, outer(4)));
        int innerAt = 20 + 8 + 16;
        byte[] gcmInner = Arrays.copyOfRange(gcm.array(), gcm.start() + innerAt, gcm.start() + innerAt + original.length);
        byte[] gmacInner = Arrays.copyOfRange(gmac.array(), gmac.start() + innerAt, gmac.start() + innerAt + original.length);
        assertArrayEquals(original, gmacInner);
        assertFalse(Arrays.equals(original, gcmInner));
    }

    @Test
    void cryptOffsetLeavesThatManyBytesInTheClear() {
        byte[] original = Packets.ipv4Udp(1, 2, 64);
        PacketBuffer pkt = Packets.load(original);
        sealer.seal(pkt, sa(PspMode.TUNNEL, PspVersion.V1, 5, false, outer(4)));
        int innerAt = pkt.start() + 20 + 8 + 16;
        assertArrayEquals(Arrays.copyOf(original, 20), Arrays.copyOfRange(pkt.array(), innerAt, innerAt + 20));
        assertFalse(Arrays.equals(Arrays.copyOfRange(original, 20, 28), Arrays.copyOfRange(pkt.array(), innerAt + 20, innerAt + 28)));
    }

    @Test
    void ivsStrictlyIncreasePerSa() {
        TxSecurityAssociation sa = sa(PspMode.TUNNEL, PspVersion.V0, 0, false, outer(4));
        long previous = 0;
        for (int i = 0; i < 5; i++) {
            PacketBuffer pkt = Packets.load(Packets.ipv4Udp(1, 2, 10));
            sealer.seal(pkt, sa);
            long iv = new PspHeader().wrap(pkt.buffer(), pkt.start() + 28).iv();
            assertTrue(iv > previous, "IV " + iv + " after " + previous);
            previous = iv;
        }
        IvSequence clock = IvSequence.clock();
        long last = clock.next();
        for (int i = 0; i < 10_000; i++) {
            long next = clock.next();
            assertTrue(next > last);
            last = next;
        }
    }

    /**
     * Sealers that reserve IVs in ranges (the data plane's, 64 at a time) never repeat an IV under
     * a key, whether they share the key or move between keys; each one's IVs still increase; and
     * every sealed packet still opens.
     */
    @Test
    void ivRangesStayUniqueAcrossSealersAndKeys() {
        TxSecurityAssociation first = sa(PspMode.TUNNEL, PspVersion.V0, 0, false, outer(4));
        int otherSpi = SPI + 1;
        TxSecurityAssociation second = new TxSecurityAssociation(otherSpi, PspVersion.V0,
                TxSecurityAssociation.aesKey(new PspKeyDeriver(KEYS).derive(otherSpi, PspVersion.V0)), IvSequence.counterFrom(1),
                PspMode.TUNNEL, 0, false, 0, outer(4), SourcePortPolicy.FLOW_HASH);
        PspSealer[] sealers = {new PspSealer(4), new PspSealer(4)};
        java.util.Set<Long> seenFirst = new java.util.HashSet<>();
        long[] lastOfSealer = {0, 0};
        java.util.Random r = new java.util.Random(7);
        for (int i = 0; i < 200; i++) {
            int which = r.nextInt(2);
            boolean onFirst = r.nextInt(3) != 0;
            PacketBuffer pkt = Packets.load(Packets.ipv4Udp(1, 2, 10));
            assertEquals(SealStatus.SEALED, sealers[which].seal(pkt, onFirst ? first : second));
            long iv = new PspHeader().wrap(pkt.buffer(), pkt.start() + 28).iv();
            if (onFirst) {
                assertTrue(seenFirst.add(iv), "IV " + iv + " used twice under one key");
                assertTrue(iv > lastOfSealer[which], "a sealer's IVs under a key increase");
                lastOfSealer[which] = iv;
            }
            assertEquals(OpenStatus.OPENED, opener.open(pkt, rxKeys, info));
        }
        IvSequence clock = IvSequence.clock();
        long start = clock.reserve(100);
        assertTrue(clock.next() >= start + 100, "a reserved range of the clock is never handed out again");
        assertThrows(IllegalArgumentException.class, () -> new PspSealer(0));
    }

    @Test
    void zeroLengthCiphertextIsStillAuthenticated() {
        // transport mode, crypt offset 2 words = exactly the 8-byte UDP header: nothing left to encrypt
        PacketBuffer pkt = Packets.load(Packets.ipv4Udp(1, 2, 0));
        assertEquals(SealStatus.SEALED, sealer.seal(pkt, sa(PspMode.TRANSPORT, PspVersion.V0, 2, false, null)));
        pkt.array()[pkt.end() - 1] ^= 1;
        assertEquals(OpenStatus.AUTH_FAILED, opener.open(pkt, rxKeys, info));
    }

    @Test
    void cryptOffsetPastTheEndIsNotSealed() {
        PacketBuffer pkt = Packets.load(Packets.ipv4Udp(1, 2, 0));
        byte[] before = pkt.toByteArray();
        assertEquals(SealStatus.CRYPT_OFFSET_PAST_END, sealer.seal(pkt, sa(PspMode.TRANSPORT, PspVersion.V0, 3, false, null)));
        assertArrayEquals(before, pkt.toByteArray());
    }

    @Test
    void badInnerPacketsAreRefusedWithAReason() {
        TxSecurityAssociation sa = sa(PspMode.TUNNEL, PspVersion.V0, 0, false, outer(4));
        assertEquals(SealStatus.MALFORMED_INNER, sealer.seal(Packets.load(new byte[] {0x45, 0, 0}), sa));
        assertEquals(SealStatus.MALFORMED_INNER, sealer.seal(Packets.load(new byte[40]), sa));
        byte[] lying = Packets.ipv4Udp(1, 2, 10);
        Ip.putU16(lying, 2, 200);
        assertEquals(SealStatus.BAD_INNER_LENGTH, sealer.seal(Packets.load(lying), sa));
        byte[] hopByHop = Packets.ipv6Udp(1, 2, 10);
        hopByHop[6] = 0;
        assertEquals(SealStatus.UNSUPPORTED_NEXT_HEADER,
                sealer.seal(Packets.load(hopByHop), sa(PspMode.TRANSPORT, PspVersion.V0, 0, false, null)));
        PacketBuffer noRoom = new PacketBuffer(100);
        noRoom.load(Packets.ipv4Udp(1, 2, 10), 0, 38, 0);
        assertEquals(SealStatus.TOO_BIG, sealer.seal(noRoom, sa));
    }

    /** Seals a tunnel-mode v0 packet, applies {@code damage} to the sealed bytes, and opens it. */
    private OpenStatus openDamaged(Consumer<PacketBuffer> damage) {
        PacketBuffer pkt = Packets.load(Packets.ipv4Udp(1, 2, 50));
        sealer.seal(pkt, damageSa);
        damage.accept(pkt);
        return opener.open(pkt, rxKeys, info);
    }

    private static final int PSP_AT = 28;
    /** One SA, so that its IV sequence never repeats under its key (JCA refuses a repeated GCM nonce). */
    private final TxSecurityAssociation damageSa = sa(PspMode.TUNNEL, PspVersion.V0, 1, false, outer(4));

    @Test
    void everyKindOfBadPacketHasItsOwnStatus() {
        assertEquals(OpenStatus.OPENED, openDamaged(p -> { }));
        assertEquals(OpenStatus.AUTH_FAILED, openDamaged(p -> p.array()[p.end() - 5] ^= 0x10));
        assertEquals(OpenStatus.AUTH_FAILED, openDamaged(p -> p.array()[p.start() + PSP_AT + 20] ^= 1));
        assertEquals(OpenStatus.AUTH_FAILED, openDamaged(p -> p.array()[p.start() + PSP_AT + 2] |= (byte) 0x80));
        assertEquals(OpenStatus.TRUNCATED, openDamaged(p -> p.setBounds(p.start(), p.start() + 10)));
        assertEquals(OpenStatus.BAD_LENGTH, openDamaged(p -> p.setBounds(p.start(), p.end() - 1)));
        assertEquals(OpenStatus.BAD_LENGTH, openDamaged(p -> Ip.putU16(p.array(), p.start() + 24, 9)));
        assertEquals(OpenStatus.NOT_UDP, openDamaged(p -> p.array()[p.start() + 9] = 6));
        assertEquals(OpenStatus.WRONG_PORT, openDamaged(p -> Ip.putU16(p.array(), p.start() + 22, 1001)));
        assertEquals(OpenStatus.FRAGMENT, openDamaged(p -> Ip.putU16(p.array(), p.start() + 6, 0x2000)));
        assertEquals(OpenStatus.BAD_HEADER_EXTENSION, openDamaged(p -> p.array()[p.start() + PSP_AT + 1] = 0));
        assertEquals(OpenStatus.BAD_HEADER_EXTENSION, openDamaged(p -> p.array()[p.start() + PSP_AT + 1] = (byte) 200));
        assertEquals(OpenStatus.BAD_HEADER_EXTENSION, openDamaged(p -> p.array()[p.start() + PSP_AT + 3] |= 0x02));
        assertEquals(OpenStatus.CRYPT_OFFSET_PAST_END, openDamaged(p -> p.array()[p.start() + PSP_AT + 2] = 63));
        assertEquals(OpenStatus.UNSUPPORTED_VERSION, openDamaged(p -> p.array()[p.start() + PSP_AT + 3] = (byte) ((9 << 2) | 1)));
        assertEquals(OpenStatus.ALWAYS_ONE_BIT_CLEAR, openDamaged(p -> p.array()[p.start() + PSP_AT + 3] &= ~1));
        assertEquals(OpenStatus.TRUNCATED, openDamaged(p -> p.array()[p.start()] = 0x15));
    }

    @Test
    void unknownSpiAndRejectedVersionsHaveNoKey() {
        PacketBuffer pkt = Packets.load(Packets.ipv4Udp(1, 2, 50));
        sealer.seal(pkt, sa(PspMode.TUNNEL, PspVersion.V1, 0, false, outer(4)));
        assertEquals(OpenStatus.NO_KEY, opener.open(pkt, (spi, version) -> null, info));
    }

    @Test
    void wrongKeyFailsAuthentication() {
        PacketBuffer pkt = Packets.load(Packets.ipv4Udp(1, 2, 50));
        sealer.seal(pkt, sa(PspMode.TUNNEL, PspVersion.V0, 0, false, outer(4)));
        MasterKeyPair other = new MasterKeyPair(PspKeyDeriverTest.K1, PspKeyDeriverTest.K0);
        assertEquals(OpenStatus.AUTH_FAILED, opener.open(pkt, RxKeys.derivedFrom(other), info));
    }

    @Test
    void authenticInnerPacketOfTheWrongVersionIsBadInner() {
        // an IPv4 packet whose protocol is 4 (IP-in-IP) carrying bytes that look like IPv6:
        // transport mode seals it with Next Header 4, so the receiver takes it for tunnel mode
        byte[] ipInIp = Packets.ipv4Udp(1, 2, 20);
        ipInIp[9] = Ip.PROTO_IPV4;
        ipInIp[20] = 0x60;
        Ip.fixIpv4Checksum(ipInIp, 0, 20);
        PacketBuffer pkt = Packets.load(ipInIp);
        assertEquals(SealStatus.SEALED, sealer.seal(pkt, sa(PspMode.TRANSPORT, PspVersion.V0, 0, false, null)));
        assertEquals(OpenStatus.BAD_INNER, opener.open(pkt, rxKeys, info));
    }

    @Test
    void sampleBitIsCoveredByTheIcv() {
        PacketBuffer pkt = Packets.load(Packets.ipv4Udp(1, 2, 50));
        sealer.seal(pkt, sa(PspMode.TUNNEL, PspVersion.V0, 0, false, outer(4)));
        PspHeader h = new PspHeader().wrap(pkt.buffer(), pkt.start() + PSP_AT);
        assertFalse(h.sampleBit());
        h.setSampleBit(true);
        assertTrue(h.sampleBit());
        assertEquals(OpenStatus.AUTH_FAILED, opener.open(pkt, rxKeys, info));
    }
}
