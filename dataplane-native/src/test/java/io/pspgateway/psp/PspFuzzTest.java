package io.pspgateway.psp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.Arrays;
import javax.crypto.SecretKey;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Property-based fuzzing of the receive path: whatever arrives, {@link PspOpener#open} returns a
 * status and never throws or reads out of bounds; a tampered packet is either dropped or
 * delivered exactly as it was sent. Bounded by the number of tries, so it runs in every build.
 */
class PspFuzzTest {
    private static final SecretKey FIXED_KEY = TxSecurityAssociation.aesKey(new byte[32]);

    private final PspOpener opener = new PspOpener();
    private final RxInfo info = new RxInfo();

    /** Random bytes behind a plausible IPv4/UDP/1000 or IPv6/UDP/1000 prefix, so the fuzz gets past the first checks. */
    @Provide
    Arbitrary<byte[]> hostilePackets() {
        Arbitrary<byte[]> noise = Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.bytes().array(byte[].class).ofMinSize(0).ofMaxSize(60)),
                Tuple.of(4, Arbitraries.bytes().array(byte[].class).ofMinSize(60).ofMaxSize(200)));
        Arbitrary<Integer> lengthSkew = Arbitraries.frequencyOf(
                Tuple.of(7, Arbitraries.just(0)), Tuple.of(3, Arbitraries.integers().between(-8, 64)));
        return Combinators.combine(noise, Arbitraries.integers().between(0, 4), lengthSkew)
                .as((bytes, shape, skew) -> plausible(bytes, shape, skew));
    }

    private static byte[] plausible(byte[] bytes, int shape, int lengthSkew) {
        byte[] p = bytes.clone();
        int udp = shape <= 1 ? 20 : 40;
        if (shape <= 1 && p.length >= 28) {
            p[0] = 0x45;
            Ip.putU16(p, 2, Math.max(0, p.length + lengthSkew));
            p[6] = 0;
            p[7] = 0;
            p[9] = Ip.PROTO_UDP;
            Ip.putU16(p, 22, PspHeader.UDP_PORT);
            Ip.putU16(p, 24, Math.max(0, p.length - 20 + lengthSkew));
        } else if (shape <= 3 && p.length >= 48) {
            p[0] = 0x60;
            Ip.putU16(p, 4, Math.max(0, p.length - 40 + lengthSkew));
            p[6] = Ip.PROTO_UDP;
            Ip.putU16(p, 42, PspHeader.UDP_PORT);
            Ip.putU16(p, 44, Math.max(0, p.length - 40 + lengthSkew));
        }
        int psp = udp + Ip.UDP_HEADER;
        if (shape < 4 && p.length >= psp + PspHeader.BASE_LENGTH && (p[psp + 4] & 1) == 0) {
            // half of these get a well-formed PSP header, so the fuzz reaches the AEAD and decapsulation
            p[psp + 1] = (byte) (1 + (p[psp + 1] & 1));
            p[psp + 2] &= 0x07;
            p[psp + 3] = (byte) ((p[psp + 3] & 0xC2) | ((p[psp + 3] & 0x0C)) | 1);
        }
        return p;
    }

    @Property(tries = 3000)
    void arbitraryInputGetsAStatusNeverAnException(@ForAll("hostilePackets") byte[] packet) {
        // no slack after the packet: any read past its end throws and fails the property
        PacketBuffer pkt = new PacketBuffer(packet.length);
        pkt.load(packet, 0, packet.length, 0);
        OpenStatus status = opener.open(pkt, (spi, version) -> version.keyBytes() == 32 ? FIXED_KEY
                : TxSecurityAssociation.aesKey(new byte[16]), info);
        Statistics.collect(status);
        assertNotEquals(OpenStatus.OPENED, status, "random bytes must never authenticate");
    }

    @Provide
    Arbitrary<TxSecurityAssociation> tunnelSas() {
        return Combinators.combine(Arbitraries.of(PspVersion.values()), Arbitraries.integers().between(0, 12),
                        Arbitraries.of(false, true), Arbitraries.of(4, 6))
                .as((version, offset, vc, outer) -> PspCodecTest.sa(PspMode.TUNNEL, version, offset, vc, PspCodecTest.outer(outer)));
    }

    @Property(tries = 1500)
    void tamperedPacketsAreDroppedOrDeliveredIntact(@ForAll("tunnelSas") TxSecurityAssociation sa,
                                                    @ForAll @IntRange(min = 0, max = 300) int payload,
                                                    @ForAll boolean innerV6,
                                                    @ForAll @Size(min = 1, max = 4) int[] flipPositions,
                                                    @ForAll @IntRange(min = -3, max = 3) int lengthChange) {
        byte[] original = Packets.inner(innerV6 ? 6 : 4, payload);
        PacketBuffer pkt = Packets.load(original);
        if (sa.cryptOffsetWords() * 4 > original.length) {
            assertEquals(SealStatus.CRYPT_OFFSET_PAST_END, new PspSealer().seal(pkt, sa));
            return;
        }
        assertEquals(SealStatus.SEALED, new PspSealer().seal(pkt, sa));
        byte[] b = pkt.array();
        for (int position : flipPositions) {
            int at = pkt.start() + Math.floorMod(position, pkt.length());
            b[at] ^= (byte) (1 + Math.floorMod(position, 255));
        }
        pkt.setBounds(pkt.start(), Math.min(pkt.capacity(), Math.max(pkt.start(), pkt.end() + lengthChange)));
        PspKeyDeriver deriver = new PspKeyDeriver(PspCodecTest.KEYS);
        OpenStatus status = opener.open(pkt, (spi, v) -> spi == sa.spi() && v == sa.version()
                ? TxSecurityAssociation.aesKey(deriver.derive(spi, v)) : null, info);
        if (status == OpenStatus.OPENED) {
            assertArrayEquals(original, pkt.toByteArray(), "an opened packet must be exactly the one sealed");
        }
    }

    @Property(tries = 500)
    void untamperedPacketsAlwaysOpen(@ForAll("tunnelSas") TxSecurityAssociation sa,
                                     @ForAll @IntRange(min = 48, max = 1400) int payload) {
        byte[] original = Packets.inner(4, payload);
        PacketBuffer pkt = Packets.load(original);
        assertEquals(SealStatus.SEALED, new PspSealer().seal(pkt, sa));
        assertEquals(OpenStatus.OPENED, opener.open(pkt, RxKeys.derivedFrom(PspCodecTest.KEYS), info));
        assertEquals(true, Arrays.equals(original, pkt.toByteArray()));
    }
}
