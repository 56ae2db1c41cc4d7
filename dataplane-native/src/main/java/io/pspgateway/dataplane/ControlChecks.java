package io.pspgateway.dataplane;

import io.pspgateway.psp.PspVersion;
import java.net.InetAddress;
import java.util.Optional;

/**
 * The checks of {@link DataplaneOps}' contract that do not depend on the backend, in one place
 * and one wording: every backend refuses the same requests with the same kind and message.
 */
public final class ControlChecks {
    private ControlChecks() {
    }

    /** Refuses a mint of fewer than 1 or more than {@link DataplaneOps#MAX_MINT} SPIs. */
    public static void mintCount(int count) {
        if (count < 1 || count > DataplaneOps.MAX_MINT) {
            throw invalid("can mint 1.." + DataplaneOps.MAX_MINT + " SPIs at a time, asked for " + count);
        }
    }

    /** Refuses a key slot outside 0 to {@code slotCount} - 1. */
    public static void slot(int cryptoId, int slotCount) {
        if (cryptoId < 0 || cryptoId >= slotCount) {
            throw invalid("crypto_id " + cryptoId + " outside 0.." + (slotCount - 1));
        }
    }

    /** Refuses an encrypt entry on slot {@code cryptoId} unless it holds a key of {@code wanted}'s version. */
    public static void slotServes(int cryptoId, Optional<PspVersion> held, PspVersion wanted) {
        if (held.isEmpty()) {
            throw invalid("key slot " + cryptoId + " is empty: program it before adding an entry that uses it");
        }
        if (held.get() != wanted) {
            throw invalid("key slot " + cryptoId + " holds a PSP " + held.get() + " key, the entry wants " + wanted);
        }
    }

    /** The key of an ingress ACL entry; refuses VIPs of two families. */
    public static FlowKey aclKey(int spi, InetAddress sourceVip, InetAddress destinationVip) {
        try {
            return FlowKey.ofSpi(spi, sourceVip, destinationVip);
        } catch (IllegalArgumentException e) {
            throw invalid(e.getMessage());
        }
    }

    private static DataplaneException invalid(String message) {
        return new DataplaneException(DataplaneException.Kind.INVALID_ARGUMENT, message);
    }
}
