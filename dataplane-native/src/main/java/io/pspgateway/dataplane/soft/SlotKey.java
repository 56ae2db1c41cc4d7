package io.pspgateway.dataplane.soft;

import io.pspgateway.psp.IvSequence;
import io.pspgateway.psp.PspVersion;
import java.util.Arrays;
import javax.crypto.SecretKey;

/**
 * The key in one crypto slot: a peer-minted key we send with, its version, and the IV sequence
 * of that key (shared by every entry that uses the slot). Wiping zeroes the key bytes.
 */
final class SlotKey implements SecretKey {
    private final PspVersion version;
    private final byte[] raw;
    private final IvSequence ivs = IvSequence.counterFromNow();
    private volatile boolean destroyed;

    SlotKey(PspVersion version, byte[] key) {
        if (key == null || key.length != version.keyBytes()) {
            throw new IllegalArgumentException("PSP " + version + " needs a " + version.keyBytes() * 8 + "-bit key, got "
                    + (key == null ? "none" : key.length * 8 + " bits"));
        }
        this.version = version;
        this.raw = key.clone();
    }

    PspVersion version() {
        return version;
    }

    IvSequence ivs() {
        return ivs;
    }

    @Override
    public String getAlgorithm() {
        return "AES";
    }

    @Override
    public String getFormat() {
        return "RAW";
    }

    @Override
    public byte[] getEncoded() {
        return raw.clone();
    }

    /** Zeroes the key. A packet racing the wipe seals with a zero key, which its receiver rejects. */
    @Override
    public void destroy() {
        Arrays.fill(raw, (byte) 0);
        destroyed = true;
    }

    @Override
    public boolean isDestroyed() {
        return destroyed;
    }

    /** True when the key bytes are all zero (after {@link #destroy()}). */
    boolean wiped() {
        for (byte b : raw) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }
}
