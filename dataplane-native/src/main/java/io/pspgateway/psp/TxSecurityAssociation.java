package io.pspgateway.psp;

import java.util.Arrays;
import java.util.Objects;
import javax.crypto.SecretKey;

/**
 * Everything the sealer needs to send under one SPI: the key the receiver derived for it, the
 * version, the IV sequence of that key, and how to encapsulate. Immutable apart from the IV
 * sequence, so packet threads share it freely.
 *
 * @param spi              the receiver's SPI
 * @param version          the PSP version the key was derived for
 * @param key              the derived key ({@link PspVersion#keyBytes()} long)
 * @param ivs              IV source for this key; shared by everything that sends under it
 * @param mode             tunnel or transport
 * @param cryptOffsetWords crypt offset in 4-byte units counted from the end of the IV (0-63)
 * @param withCookie       whether the header carries the 8-byte virtualization cookie
 * @param cookie           the cookie value, when carried
 * @param outerIp          how to build the outer IP header (tunnel mode only; ignored otherwise)
 * @param sourcePorts      how to choose the outer UDP source port
 */
public record TxSecurityAssociation(int spi, PspVersion version, SecretKey key, IvSequence ivs, PspMode mode,
                                    int cryptOffsetWords, boolean withCookie, long cookie, OuterIp outerIp,
                                    SourcePortPolicy sourcePorts) {

    public TxSecurityAssociation {
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(ivs, "ivs");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(sourcePorts, "sourcePorts");
        if (mode == PspMode.TUNNEL) {
            Objects.requireNonNull(outerIp, "outerIp is required in tunnel mode");
        }
        if (cryptOffsetWords < 0 || cryptOffsetWords > PspHeader.MAX_CRYPT_OFFSET_WORDS) {
            throw new IllegalArgumentException("crypt offset must be 0.." + PspHeader.MAX_CRYPT_OFFSET_WORDS
                    + " words, got " + cryptOffsetWords);
        }
        byte[] encoded = key.getEncoded();
        int length = encoded == null ? 0 : encoded.length;
        if (encoded != null) {
            Arrays.fill(encoded, (byte) 0);
        }
        if (length != version.keyBytes()) {
            throw new IllegalArgumentException("PSP " + version + " needs a " + version.keyBytes() * 8 + "-bit key");
        }
    }

    /** A project-owned AES key over a copy of {@code raw} (which the caller zeroes when done with it). */
    public static AesKey aesKey(byte[] raw) {
        return new AesKey(raw);
    }
}
