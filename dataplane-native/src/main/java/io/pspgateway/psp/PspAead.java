package io.pspgateway.psp;

import java.security.GeneralSecurityException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * The PSP AEAD over a byte array, in place: nonce = SPI || IV (12 bytes), a 16-byte ICV. For the
 * AES-GCM versions the payload is encrypted; for the AES-GMAC versions the payload is
 * authenticated as additional data and left in the clear. The tag comparison is JCA's, which is
 * constant-time.
 *
 * <p>Not thread-safe: each packet thread owns one.
 */
final class PspAead {
    private static final int TAG_BITS = PspHeader.ICV_LENGTH * 8;

    private final Cipher gcm;
    private final byte[] nonce = new byte[12];

    PspAead() {
        try {
            gcm = Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES/GCM/NoPadding is not available in this JVM", e);
        }
    }

    /**
     * Seals {@code [dataOff, dataOff + dataLen)} in place and writes the ICV right after it.
     * {@code [aadOff, dataOff)} is authenticated.
     */
    void seal(SecretKey key, PspVersion version, int spi, long iv, byte[] b, int aadOff, int dataOff, int dataLen) {
        try {
            init(Cipher.ENCRYPT_MODE, key, spi, iv);
            if (version.encrypts()) {
                gcm.updateAAD(b, aadOff, dataOff - aadOff);
                gcm.doFinal(b, dataOff, dataLen, b, dataOff);
            } else {
                gcm.updateAAD(b, aadOff, dataOff - aadOff + dataLen);
                gcm.doFinal(b, dataOff + dataLen);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM seal failed", e);
        }
    }

    /**
     * Checks the ICV that follows {@code [dataOff, dataOff + dataLen)} and, for the encrypting
     * versions, decrypts that range in place. Returns false when the ICV does not match, in
     * which case the data range content is unspecified.
     */
    boolean open(SecretKey key, PspVersion version, int spi, long iv, byte[] b, int aadOff, int dataOff, int dataLen) {
        try {
            init(Cipher.DECRYPT_MODE, key, spi, iv);
            if (version.encrypts()) {
                gcm.updateAAD(b, aadOff, dataOff - aadOff);
                gcm.doFinal(b, dataOff, dataLen + PspHeader.ICV_LENGTH, b, dataOff);
            } else {
                gcm.updateAAD(b, aadOff, dataOff - aadOff + dataLen);
                gcm.doFinal(b, dataOff + dataLen, PspHeader.ICV_LENGTH);
            }
            return true;
        } catch (AEADBadTagException e) {
            return false;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM open failed", e);
        }
    }

    private void init(int opmode, SecretKey key, int spi, long iv) throws GeneralSecurityException {
        nonce[0] = (byte) (spi >>> 24);
        nonce[1] = (byte) (spi >>> 16);
        nonce[2] = (byte) (spi >>> 8);
        nonce[3] = (byte) spi;
        for (int i = 0; i < 8; i++) {
            nonce[4 + i] = (byte) (iv >>> (56 - 8 * i));
        }
        gcm.init(opmode, key, new GCMParameterSpec(TAG_BITS, nonce));
    }
}
