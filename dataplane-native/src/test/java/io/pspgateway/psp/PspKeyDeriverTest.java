package io.pspgateway.psp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The key derivation examples of the PSP Architecture Specification (page 7). */
class PspKeyDeriverTest {
    static final byte[] K0 = hex("34448a064292601b11a0978f56a2d34cf3fc35ede1a6bc04f8db3e5243a2b0ca");
    static final byte[] K1 = hex("563952565d3a78ae773ec1b779f2f2d99f4a7f53a6fbb9b07d5b71f39364d739");

    private final PspKeyDeriver deriver = new PspKeyDeriver(new MasterKeyPair(K0, K1));

    static byte[] hex(String s) {
        return HexFormat.of().parseHex(s);
    }

    @Test
    void version0WithMasterKey0() {
        assertArrayEquals(hex("96c22dc799198090b74b70ae468e4e30"), deriver.derive(0x12345678, PspVersion.V0));
    }

    @Test
    void version0WithMasterKey1SelectedBySpiBit31() {
        assertArrayEquals(hex("3946da2554eae46ad1ef77a64372edc4"), deriver.derive(0x9A345678, PspVersion.V0));
    }

    @Test
    void version1Is256BitsFromTwoCounterBlocks() {
        assertArrayEquals(hex("2b7d72074e42ca334487f2990e3f8c4037e436f38283449b76463e9b7fb2e3de"),
                deriver.derive(0x12345678, PspVersion.V1));
    }

    @Test
    void derivingIntoAnOffsetWritesOnlyTheKey() {
        byte[] out = new byte[40];
        deriver.derive(0x12345678, PspVersion.V0, out, 8);
        assertArrayEquals(hex("96c22dc799198090b74b70ae468e4e30"), java.util.Arrays.copyOfRange(out, 8, 24));
        assertEquals(0, out[7]);
        assertEquals(0, out[24]);
    }

    @Test
    void gmacVersionsGetTheirOwnKeysOfTheRightLength() {
        byte[] v2 = deriver.derive(0x12345678, PspVersion.V2);
        byte[] v3 = deriver.derive(0x12345678, PspVersion.V3);
        assertEquals(16, v2.length);
        assertEquals(32, v3.length);
        assertNotEquals(HexFormat.of().formatHex(deriver.derive(0x12345678, PspVersion.V0)), HexFormat.of().formatHex(v2));
        assertNotEquals(HexFormat.of().formatHex(deriver.derive(0x12345678, PspVersion.V1)), HexFormat.of().formatHex(v3));
    }

    @Test
    void masterKeysOfTheWrongLengthAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new MasterKeyPair(new byte[16], K1));
        assertEquals("master key 0 must be 32 bytes, got 16", e.getMessage());
    }
}
