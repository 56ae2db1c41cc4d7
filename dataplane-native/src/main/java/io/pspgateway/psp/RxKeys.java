package io.pspgateway.psp;

import javax.crypto.SecretKey;

/** Where the opener finds the key for a received SPI. */
@FunctionalInterface
public interface RxKeys {

    /**
     * The key of {@code spi} for {@code version}, or null when there is none (an unknown or dead
     * SPI, or a version this receiver does not accept). Called on packet threads: it must not
     * block.
     */
    SecretKey keyFor(int spi, PspVersion version);

    /**
     * Keys derived straight from a master key pair on every call, for every version: what a
     * stateless receiver (the {@code pcap decrypt} tool) does. Not thread-safe.
     */
    static RxKeys derivedFrom(MasterKeyPair masterKeys) {
        PspKeyDeriver deriver = new PspKeyDeriver(masterKeys);
        return (spi, version) -> {
            byte[] derived = deriver.derive(spi, version);
            AesKey key = new AesKey(derived);
            java.util.Arrays.fill(derived, (byte) 0);
            return key;
        };
    }
}
