package io.pspgateway.dataplane.soft;

import io.pspgateway.psp.AesKey;
import io.pspgateway.psp.IvSequence;
import io.pspgateway.psp.PspVersion;
import java.util.Arrays;

/**
 * The key in one crypto slot: a peer-minted key we send with, its version, and the IV sequence
 * of that key (shared by every entry that uses the slot). Wiping zeroes the key bytes.
 */
final class SlotKey {
    private final PspVersion version;
    private final AesKey key;
    private final IvSequence ivs = IvSequence.counterFromNow();

    /** A slot key over a copy of {@code key} (the caller zeroes its own). */
    SlotKey(PspVersion version, byte[] key) {
        if (key == null || key.length != version.keyBytes()) {
            throw new IllegalArgumentException("PSP " + version + " needs a " + version.keyBytes() * 8 + "-bit key, got "
                    + (key == null ? "none" : key.length * 8 + " bits"));
        }
        this.version = version;
        this.key = new AesKey(key);
    }

    PspVersion version() {
        return version;
    }

    IvSequence ivs() {
        return ivs;
    }

    /** What the sealer encrypts with. */
    AesKey key() {
        return key;
    }

    /** Zeroes the key. A packet racing the wipe seals with a zero key, which its receiver rejects. */
    void destroy() {
        key.destroy();
    }

    /** True when the key bytes are all zero (after {@link #destroy()}). */
    boolean wiped() {
        byte[] copy = key.getEncoded();
        boolean zero = true;
        for (byte b : copy) {
            zero &= b == 0;
        }
        Arrays.fill(copy, (byte) 0);
        return zero;
    }
}
