package io.pspgateway.bench;

import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * The baseline every PSP benchmark is measured against: bare JCA {@code AES/GCM/NoPadding} on a
 * {@code size}-byte payload, in place, with a fresh nonce per packet (init + 16-byte AAD +
 * doFinal). Sealing restores the first bytes of the plaintext first, as the PSP side restores the
 * inner header, so both sides copy the same.
 */
final class BareJcaGcm {
    private static final int AAD = 16;
    private static final int TAG = 16;
    private static final int RESTORED = 20;

    private final Cipher cipher;
    private final SecretKey key;
    private final int size;
    private final byte[] plaintext;
    private final byte[] buffer;
    private final byte[] sealed;
    private final byte[] nonce = new byte[12];
    private long iv;

    BareJcaGcm(SecretKey key, byte[] plaintext) throws GeneralSecurityException {
        this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
        this.key = key;
        this.size = plaintext.length;
        this.plaintext = plaintext.clone();
        this.buffer = new byte[AAD + size + TAG];
        System.arraycopy(plaintext, 0, buffer, AAD, size);
        init(Cipher.ENCRYPT_MODE, 1);
        cipher.updateAAD(buffer, 0, AAD);
        cipher.doFinal(buffer, AAD, size, buffer, AAD);
        this.sealed = buffer.clone();
        this.iv = 1;
    }

    private void init(int mode, long value) throws GeneralSecurityException {
        for (int i = 0; i < 8; i++) {
            nonce[4 + i] = (byte) (value >>> (56 - 8 * i));
        }
        cipher.init(mode, key, new GCMParameterSpec(TAG * 8, nonce));
    }

    /** Seals the payload in place under the next IV; returns the bytes written. */
    int seal() throws GeneralSecurityException {
        init(Cipher.ENCRYPT_MODE, ++iv);
        cipher.updateAAD(buffer, 0, AAD);
        System.arraycopy(plaintext, 0, buffer, AAD, Math.min(RESTORED, size));
        return cipher.doFinal(buffer, AAD, size, buffer, AAD);
    }

    /** Opens the packet sealed at construction, in place; returns the bytes written. */
    int open() throws GeneralSecurityException {
        System.arraycopy(sealed, 0, buffer, 0, sealed.length);
        init(Cipher.DECRYPT_MODE, 1);
        cipher.updateAAD(buffer, 0, AAD);
        return cipher.doFinal(buffer, AAD, size + TAG, buffer, AAD);
    }
}
