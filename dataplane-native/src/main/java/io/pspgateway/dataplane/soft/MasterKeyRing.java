package io.pspgateway.dataplane.soft;

import io.pspgateway.psp.MasterKeyPair;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * The receiver's master keys and their generations, as in the kernel's PSP device:
 *
 * <ul>
 *   <li><b>active</b>: the key new SPIs are minted under (SPI bit 31 = its index);</li>
 *   <li><b>previous</b>: the other key, active before the last rotation; its SPIs still decrypt;</li>
 *   <li><b>stale</b>: a key rotated out twice; it is overwritten, so its SPIs no longer decrypt.</li>
 * </ul>
 *
 * A rotation makes the previous key's slot active with a fresh random key, which is exactly
 * what turns the previous-but-one key stale. Only the control thread rotates and mints; packet
 * threads read the current {@link Generation} through one volatile field.
 */
final class MasterKeyRing {
    /** An immutable view of the keys at one generation. */
    record Generation(long number, int activeIndex, MasterKeyPair keys) {
    }

    private static final int SPI_INDEX_BITS = 0x7FFF_FFFF;

    private final SecureRandom random = new SecureRandom();
    private volatile Generation current;
    /** The generation the last rotation replaced: packet threads may still be reading it; wiped at the next rotation. */
    private Generation superseded;
    private long spisMinted;

    MasterKeyRing() {
        current = new Generation(0, 0, new MasterKeyPair(freshKey(), freshKey()));
    }

    /** A ring starting from known keys (tests and deterministic tools); key 0 is active. */
    MasterKeyRing(MasterKeyPair initial) {
        current = new Generation(0, 0, initial);
    }

    Generation current() {
        return current;
    }

    /** The next SPI under the active key, or -1 when its 2^31 - 1 SPIs are used up. Control thread only. */
    int nextSpi() {
        if (spisMinted >= SPI_INDEX_BITS) {
            return -1;
        }
        spisMinted++;
        int index = (int) spisMinted;
        return current.activeIndex() == 1 ? index | 0x8000_0000 : index;
    }

    /** SPIs that can still be minted. */
    long spisLeft() {
        return SPI_INDEX_BITS - spisMinted;
    }

    /** Rotates; returns the new generation number. Control thread only. */
    long rotate() {
        Generation old = current;
        int newActive = 1 - old.activeIndex();
        byte[] fresh = freshKey();
        byte[] kept = old.keys().key(old.activeIndex());
        MasterKeyPair keys = newActive == 0 ? new MasterKeyPair(fresh, kept) : new MasterKeyPair(kept, fresh);
        Arrays.fill(fresh, (byte) 0);
        Arrays.fill(kept, (byte) 0);
        current = new Generation(old.number() + 1, newActive, keys);
        // the key this rotation retires dies now, in the generation that still held it (a packet
        // thread reading that one for a moment finds its SPIs dead, as they are); the generation's
        // other key lives on in the new one, so its copy goes at the next rotation, when no packet
        // thread can still be reading the generation
        old.keys().destroyKey(newActive);
        if (superseded != null) {
            superseded.keys().destroy();
        }
        superseded = old;
        return current.number();
    }

    /** Wipes every key the ring holds (the data plane is closing). */
    void destroy() {
        current.keys().destroy();
        if (superseded != null) {
            superseded.keys().destroy();
        }
    }

    private byte[] freshKey() {
        byte[] k = new byte[MasterKeyPair.KEY_BYTES];
        random.nextBytes(k);
        return k;
    }
}
