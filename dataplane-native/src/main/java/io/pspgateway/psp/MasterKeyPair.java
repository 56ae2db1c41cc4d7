package io.pspgateway.psp;

import java.util.Arrays;

/**
 * The two 256-bit master keys of a receiver. SPI bit 31 selects which one derives a packet's
 * key: clear selects key 0, set selects key 1. Instances hold private copies of the key bytes
 * and can be wiped with {@link #destroy()}.
 */
public final class MasterKeyPair {
    /** Length of a master key in bytes (AES-256). */
    public static final int KEY_BYTES = 32;

    private final byte[] key0;
    private final byte[] key1;

    public MasterKeyPair(byte[] key0, byte[] key1) {
        this.key0 = checked(key0, "master key 0");
        this.key1 = checked(key1, "master key 1");
    }

    private static byte[] checked(byte[] key, String name) {
        if (key == null || key.length != KEY_BYTES) {
            throw new IllegalArgumentException(name + " must be " + KEY_BYTES + " bytes, got "
                    + (key == null ? "none" : key.length));
        }
        return key.clone();
    }

    /** The master key that SPI {@code spi} selects (a copy). */
    public byte[] keyFor(int spi) {
        return (spi < 0 ? key1 : key0).clone();
    }

    /** The master key with index 0 or 1 (a copy). */
    public byte[] key(int index) {
        return switch (index) {
            case 0 -> key0.clone();
            case 1 -> key1.clone();
            default -> throw new IllegalArgumentException("master key index must be 0 or 1: " + index);
        };
    }

    /** Overwrites both keys with zeros; a destroyed pair derives nothing useful. */
    public void destroy() {
        destroyKey(0);
        destroyKey(1);
    }

    /** Overwrites key {@code index} (0 or 1) with zeros: the SPIs it selects derive nothing useful any more. */
    public void destroyKey(int index) {
        Arrays.fill(index == 0 ? key0 : key1, (byte) 0);
    }
}
