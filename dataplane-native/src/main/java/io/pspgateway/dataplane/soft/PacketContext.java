package io.pspgateway.dataplane.soft;

import io.pspgateway.dataplane.FlowKey;
import io.pspgateway.psp.AesKey;
import io.pspgateway.psp.PspKeyDeriver;
import io.pspgateway.psp.PspOpener;
import io.pspgateway.psp.PspSealer;
import io.pspgateway.psp.PspVersion;
import io.pspgateway.psp.RxInfo;
import io.pspgateway.psp.RxKeys;
import javax.crypto.SecretKey;

/**
 * What one packet thread owns: its sealer and opener, a lookup probe, the egress sampling
 * counter, and a small direct-mapped cache of receive keys so that a busy SPI's key is derived
 * once per master key generation rather than once per packet. Never shared between threads.
 */
public final class PacketContext {
    private static final int KEY_CACHE_SIZE = 1024;

    /** IVs reserved 64 at a time: the segments of a TCP super-packet take one atomic operation, not one each. */
    final PspSealer sealer = new PspSealer(64);
    final PspOpener opener;
    final RxInfo info = new RxInfo();
    final FlowKey probe = new FlowKey();
    final RxKeys rxKeys = this::receiveKey;
    long sampleCounter;

    private final MasterKeyRing ring;
    private MasterKeyRing.Generation generation;
    private PspKeyDeriver deriver;
    private final int[] cachedSpi = new int[KEY_CACHE_SIZE];
    private final PspVersion[] cachedVersion = new PspVersion[KEY_CACHE_SIZE];
    private final AesKey[] cachedKey = new AesKey[KEY_CACHE_SIZE];
    private final byte[] scratch = new byte[32];

    PacketContext(MasterKeyRing ring, int udpPort) {
        this.ring = ring;
        this.opener = new PspOpener(udpPort);
    }

    private SecretKey receiveKey(int spi, PspVersion version) {
        MasterKeyRing.Generation now = ring.current();
        if (now != generation) {
            // the keys derived from the generation before, and its master keys in the deriver, die here
            generation = now;
            if (deriver != null) {
                deriver.forget();
            }
            deriver = new PspKeyDeriver(now.keys());
            for (int i = 0; i < KEY_CACHE_SIZE; i++) {
                if (cachedKey[i] != null) {
                    cachedKey[i].destroy();
                    cachedKey[i] = null;
                }
            }
        }
        int slot = (spi ^ (spi >>> 16)) & (KEY_CACHE_SIZE - 1);
        if (cachedKey[slot] != null && cachedSpi[slot] == spi && cachedVersion[slot] == version) {
            return cachedKey[slot];
        }
        deriver.derive(spi, version, scratch, 0);
        AesKey key = new AesKey(scratch, 0, version.keyBytes());
        java.util.Arrays.fill(scratch, (byte) 0);
        if (cachedKey[slot] != null) {
            cachedKey[slot].destroy();
        }
        cachedSpi[slot] = spi;
        cachedVersion[slot] = version;
        cachedKey[slot] = key;
        return key;
    }
}
