package io.pspgateway.dataplane.doca;

import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_FLOW_CRYPTO_PSP_SPI_KEY_BULK_ALLOC;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_FLOW_CRYPTO_PSP_SPI_KEY_BULK_FREE;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_FLOW_CRYPTO_PSP_SPI_KEY_BULK_GENERATE;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_FLOW_CRYPTO_PSP_SPI_KEY_BULK_GET;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.pspgateway.dataplane.DataplaneException;
import io.pspgateway.dataplane.DataplaneOps;
import io.pspgateway.dataplane.SpiKey;
import io.pspgateway.psp.PspVersion;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SPIs and their keys minted by the NIC under its active master key, a bulk per request
 * (BACKEND-NOTES 2.7): alloc, generate, one get per SPI, free. Unlike the sample, the native
 * buffer each key passes through is zeroed before the bulk is freed, and every Java copy but the
 * one handed out is wiped; the bulk is freed on every path.
 */
final class SpiKeyMinter {
    private static final Logger log = LoggerFactory.getLogger(SpiKeyMinter.class);
    /** bulk_get writes a key as 32-bit words: eight for a 256-bit key, four for a 128-bit one. */
    private static final int KEY_BUFFER_BYTES = 32;

    private final DocaFlowNative doca;
    private final MemorySegment port;

    SpiKeyMinter(DocaFlow flow) {
        this.doca = flow.doca();
        this.port = flow.pf();
    }

    /**
     * @throws DataplaneException INVALID_ARGUMENT for a count outside 1..MAX_MINT; RESOURCE_EXHAUSTED
     *     when the NIC has no bulk of that size to give; INTERNAL when generating or reading fails
     */
    List<SpiKey> mint(int count, PspVersion version) {
        if (count < 1 || count > DataplaneOps.MAX_MINT) {
            throw new DataplaneException(DataplaneException.Kind.INVALID_ARGUMENT,
                    "cannot mint " + count + " SPIs: 1 to " + DataplaneOps.MAX_MINT + " per request");
        }
        int keyType = version.keyBytes() == 16 ? DocaAbi.DOCA_FLOW_CRYPTO_KEY_128 : DocaAbi.DOCA_FLOW_CRYPTO_KEY_256;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment holder = arena.allocate(ADDRESS);
            try {
                doca.call(DOCA_FLOW_CRYPTO_PSP_SPI_KEY_BULK_ALLOC, port, keyType, count, holder);
            } catch (DocaCallException e) {
                throw new DataplaneException(e.error() == DocaAbi.DOCA_ERROR_NO_MEMORY ? DataplaneException.Kind.RESOURCE_EXHAUSTED
                        : DataplaneException.Kind.INTERNAL, "the NIC minted no " + count + " SPIs: " + e.getMessage());
            }
            MemorySegment bulk = holder.get(ADDRESS, 0);
            MemorySegment spi = arena.allocate(JAVA_INT);
            MemorySegment key = arena.allocate(JAVA_BYTE, KEY_BUFFER_BYTES);
            List<SpiKey> minted = new ArrayList<>(count);
            try {
                doca.call(DOCA_FLOW_CRYPTO_PSP_SPI_KEY_BULK_GENERATE, bulk);
                byte[] copy = new byte[version.keyBytes()];
                for (int i = 0; i < count; i++) {
                    doca.call(DOCA_FLOW_CRYPTO_PSP_SPI_KEY_BULK_GET, bulk, i, spi, key);
                    MemorySegment.copy(key, JAVA_BYTE, 0, copy, 0, copy.length);
                    minted.add(new SpiKey(spi.get(JAVA_INT, 0), version, copy));
                }
                Arrays.fill(copy, (byte) 0);
                return minted;
            } catch (DocaCallException e) {
                minted.forEach(SpiKey::destroy);
                throw new DataplaneException(DataplaneException.Kind.INTERNAL, "minting " + count + " SPIs failed: " + e.getMessage());
            } finally {
                key.fill((byte) 0);
                try {
                    doca.call(DOCA_FLOW_CRYPTO_PSP_SPI_KEY_BULK_FREE, bulk);
                } catch (DocaCallException e) {
                    // the SPIs are minted and handed out either way; the NIC keeps the bulk's memory
                    log.warn("an SPI bulk was not freed: {}", e.getMessage());
                }
            }
        }
    }
}
