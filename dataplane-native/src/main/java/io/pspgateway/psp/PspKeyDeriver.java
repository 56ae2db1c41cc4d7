package io.pspgateway.psp;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.ShortBufferException;

/**
 * Derives PSP keys from a receiver's master keys: NIST SP 800-108 in counter mode with
 * AES-256-CMAC as the PRF, one 16-byte input block per 128 bits of key:
 *
 * <pre>  counter(4, BE) || 'P' 'v' ('0' + version) 0x00 || SPI(4, BE) || L(4, BE)</pre>
 *
 * where L is the key length in bits. A 128-bit key is CMAC(counter = 1); a 256-bit key is
 * CMAC(counter = 1) || CMAC(counter = 2). The spec defines this for versions 0 and 1; for the
 * authentication-only versions 2 and 3 (whose derivation the spec leaves open) we use the same
 * construction with their own version digit, '2' or '3', and L = 128 or 256.
 *
 * <p>Because every input is exactly one complete block, CMAC reduces to one AES-256 block
 * encryption of (input XOR K1), where K1 is the first CMAC subkey (RFC 4493 section 2.3). The
 * subkeys are computed once per master key at construction, so a derivation costs one AES
 * block per 128 bits of key and allocates nothing.
 *
 * <p>Not thread-safe: each packet thread owns its deriver.
 */
public final class PspKeyDeriver {
    private static final int BLOCK = 16;
    private static final int CMAC_RB = 0x87;

    private final Cipher[] aes = new Cipher[2];
    private final byte[][] subkey1 = new byte[2][];
    private final byte[] block = new byte[BLOCK];

    public PspKeyDeriver(MasterKeyPair masterKeys) {
        for (int i = 0; i < 2; i++) {
            byte[] master = masterKeys.key(i);
            try {
                aes[i] = Cipher.getInstance("AES/ECB/NoPadding");
                AesKey key = new AesKey(master);
                aes[i].init(Cipher.ENCRYPT_MODE, key);
                key.destroy();
                subkey1[i] = firstSubkey(aes[i].doFinal(new byte[BLOCK]));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("AES-256 is not available in this JVM", e);
            } finally {
                Arrays.fill(master, (byte) 0);
            }
        }
    }

    /**
     * Forgets the master keys: the ciphers' key schedules are overwritten by a throw-away key's and
     * the CMAC subkeys zeroed. The deriver derives nothing useful afterwards. Called when its
     * generation of master keys dies.
     */
    public void forget() {
        AesKey throwAway = new AesKey(new byte[32]);
        for (int i = 0; i < 2; i++) {
            try {
                aes[i].init(Cipher.ENCRYPT_MODE, throwAway);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("AES-256 is not available in this JVM", e);
            }
            Arrays.fill(subkey1[i], (byte) 0);
        }
        Arrays.fill(block, (byte) 0);
    }

    /** K1 = L << 1, XOR Rb when the top bit of L was set (L = AES_K(0^128)). */
    private static byte[] firstSubkey(byte[] l) {
        byte[] k1 = new byte[BLOCK];
        int carry = 0;
        for (int i = BLOCK - 1; i >= 0; i--) {
            int b = l[i] & 0xFF;
            k1[i] = (byte) ((b << 1) | carry);
            carry = b >>> 7;
        }
        if ((l[0] & 0x80) != 0) {
            k1[BLOCK - 1] ^= (byte) CMAC_RB;
        }
        Arrays.fill(l, (byte) 0);
        return k1;
    }

    /** Derives the key of {@code spi} for {@code version} into a new array. */
    public byte[] derive(int spi, PspVersion version) {
        byte[] key = new byte[version.keyBytes()];
        derive(spi, version, key, 0);
        return key;
    }

    /** Derives the key of {@code spi} for {@code version} into {@code out} at {@code outOff}. */
    public void derive(int spi, PspVersion version, byte[] out, int outOff) {
        int master = spi < 0 ? 1 : 0;
        int bits = version.keyBytes() * 8;
        for (int counter = 1; counter * BLOCK <= version.keyBytes(); counter++) {
            fillInputBlock(counter, version, spi, bits);
            byte[] k1 = subkey1[master];
            for (int i = 0; i < BLOCK; i++) {
                block[i] ^= k1[i];
            }
            try {
                aes[master].update(block, 0, BLOCK, out, outOff + (counter - 1) * BLOCK);
            } catch (ShortBufferException e) {
                throw new IllegalArgumentException("output too short for a " + bits + "-bit key", e);
            }
        }
        Arrays.fill(block, (byte) 0);
    }

    private void fillInputBlock(int counter, PspVersion version, int spi, int bits) {
        block[0] = (byte) (counter >>> 24);
        block[1] = (byte) (counter >>> 16);
        block[2] = (byte) (counter >>> 8);
        block[3] = (byte) counter;
        block[4] = 'P';
        block[5] = 'v';
        block[6] = (byte) ('0' + version.wire());
        block[7] = 0;
        block[8] = (byte) (spi >>> 24);
        block[9] = (byte) (spi >>> 16);
        block[10] = (byte) (spi >>> 8);
        block[11] = (byte) spi;
        block[12] = (byte) (bits >>> 24);
        block[13] = (byte) (bits >>> 16);
        block[14] = (byte) (bits >>> 8);
        block[15] = (byte) bits;
    }
}
