package io.pspgateway.psp;

import java.util.Arrays;
import javax.crypto.SecretKey;

/**
 * An AES key whose bytes this project owns, so that it can zero them when the key dies: what the
 * project hands JCA instead of a {@code SecretKeySpec} (whose copy cannot be wiped: its
 * {@code destroy()} throws on JDK 25). JCA's own key schedule, expanded inside a {@code Cipher} at
 * {@code init}, stays out of reach until that cipher is initialised with another key; owners of
 * long-lived ciphers re-initialise them with a throw-away key when their key dies.
 */
public final class AesKey implements SecretKey {
    private final byte[] raw;
    private volatile boolean destroyed;

    /** A key over a copy of {@code length} bytes of {@code bytes} from {@code offset} (16 or 32). */
    public AesKey(byte[] bytes, int offset, int length) {
        if (length != 16 && length != 32) {
            throw new IllegalArgumentException("an AES key has 16 or 32 bytes, got " + length);
        }
        this.raw = Arrays.copyOfRange(bytes, offset, offset + length);
    }

    public AesKey(byte[] bytes) {
        this(bytes, 0, bytes.length);
    }

    @Override
    public String getAlgorithm() {
        return "AES";
    }

    @Override
    public String getFormat() {
        return "RAW";
    }

    /** A copy, as JCA requires (its ciphers zero theirs after expanding the key). */
    @Override
    public byte[] getEncoded() {
        return raw.clone();
    }

    /** The key's length in bytes, without a copy. */
    public int length() {
        return raw.length;
    }

    /** Zeroes the key bytes. */
    @Override
    public void destroy() {
        Arrays.fill(raw, (byte) 0);
        destroyed = true;
    }

    @Override
    public boolean isDestroyed() {
        return destroyed;
    }
}
