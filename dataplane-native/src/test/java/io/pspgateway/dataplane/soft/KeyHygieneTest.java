package io.pspgateway.dataplane.soft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pspgateway.dataplane.port.MemoryPort;
import io.pspgateway.psp.AesKey;
import io.pspgateway.psp.MasterKeyPair;
import io.pspgateway.psp.PspVersion;
import java.util.Arrays;
import javax.crypto.SecretKey;
import org.junit.jupiter.api.Test;

/**
 * Keys are zeroed when they die, wherever this project holds their bytes: each test keeps the very
 * key object (or array) a key was held in and reads it after the key's death.
 */
class KeyHygieneTest {

    private static boolean zero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private static byte[] filled(int n, int value) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) value);
        return b;
    }

    @Test
    void aRetiredMasterKeyIsZeroedAtTheRotationThatRetiresItAndItsGenerationAtTheNext() {
        MasterKeyRing ring = new MasterKeyRing(new MasterKeyPair(filled(32, 1), filled(32, 2)));
        MasterKeyPair first = ring.current().keys();
        ring.rotate(); // key 1 (bytes 2) is overwritten: retired
        assertTrue(zero(first.key(1)), "the retired key, in the generation that held it");
        assertArrayEquals(filled(32, 1), first.key(0), "key 0 is still live (the previous key)");
        MasterKeyPair second = ring.current().keys();
        assertArrayEquals(filled(32, 1), second.key(0));

        ring.rotate(); // key 0 is retired now
        assertTrue(zero(first.key(0)), "the first generation is unreachable: all of it is gone");
        assertTrue(zero(second.key(0)), "the key retired now");
        assertFalse(zero(second.key(1)), "the second generation's live key stays until the next rotation");
        assertFalse(zero(ring.current().keys().key(0)) || zero(ring.current().keys().key(1)), "the keys in use are intact");
    }

    @Test
    void receiveKeysDerivedUnderADeadGenerationAreZeroedWhenThePacketThreadMovesOn() throws Exception {
        MasterKeyRing ring = new MasterKeyRing(new MasterKeyPair(filled(32, 1), filled(32, 2)));
        PacketContext context = new PacketContext(ring, 1000);
        SecretKey before = context.rxKeys.keyFor(0x0000_0005, PspVersion.V1);
        assertFalse(zero(before.getEncoded()));
        ring.rotate();
        SecretKey after = context.rxKeys.keyFor(0x0000_0005, PspVersion.V1);
        assertNotSame(before, after);
        assertTrue(before.isDestroyed());
        assertTrue(zero(before.getEncoded()), "the cached key of the old generation");
        assertArrayEquals(after.getEncoded(), context.rxKeys.keyFor(0x0000_0005, PspVersion.V1).getEncoded(),
                "the previous key still derives the same key");
    }

    @Test
    void aSlotsKeyIsZeroedWhenTheSlotIsReprogrammedOrWipedAndTheCallersArrayIsNotKept() {
        SoftDataplane dp = new SoftDataplane(SoftDataplaneSettings.defaults(), MemoryPort.link("host", "plain", 16)[1],
                MemoryPort.link("wire", "secure", 16)[1]);
        try {
            byte[] handed = filled(32, 7);
            dp.programKeySlot(3, PspVersion.V1, handed);
            SlotKey first = dp.keyIn(3);
            Arrays.fill(handed, (byte) 0);
            assertFalse(first.wiped(), "the slot holds its own copy");

            dp.programKeySlot(3, PspVersion.V1, filled(32, 8));
            assertTrue(first.wiped(), "replaced: the old key is zeroed");
            SlotKey second = dp.keyIn(3);
            dp.wipeKeySlot(3);
            assertTrue(second.wiped(), "wiped");
        } finally {
            dp.close();
        }
    }

    @Test
    void aProjectOwnedAesKeyCopiesWhatItIsGivenAndZeroesItsOwnBytesWhenDestroyed() {
        byte[] raw = filled(16, 9);
        AesKey key = new AesKey(raw);
        Arrays.fill(raw, (byte) 0);
        assertArrayEquals(filled(16, 9), key.getEncoded());
        byte[] copy = key.getEncoded();
        key.destroy();
        assertTrue(key.isDestroyed());
        assertTrue(zero(key.getEncoded()));
        assertNotEquals(0, copy[0], "a copy handed out is the caller's to zero (JCA zeroes its own)");
    }
}
