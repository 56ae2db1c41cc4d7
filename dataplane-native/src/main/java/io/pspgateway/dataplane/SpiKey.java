package io.pspgateway.dataplane;

import io.pspgateway.psp.PspVersion;
import java.util.Arrays;

/**
 * An SPI minted by this receiver and the key derived for it: what a peer needs to send to us.
 * The key bytes are private; {@link #key()} copies them and {@link #destroy()} wipes them.
 */
public final class SpiKey {
    private final int spi;
    private final PspVersion version;
    private final byte[] key;

    public SpiKey(int spi, PspVersion version, byte[] key) {
        this.spi = spi;
        this.version = version;
        this.key = key.clone();
    }

    public int spi() {
        return spi;
    }

    public PspVersion version() {
        return version;
    }

    public byte[] key() {
        return key.clone();
    }

    public void destroy() {
        Arrays.fill(key, (byte) 0);
    }

    @Override
    public String toString() {
        return String.format("SpiKey[spi=%08x, %s]", spi, version);
    }
}
