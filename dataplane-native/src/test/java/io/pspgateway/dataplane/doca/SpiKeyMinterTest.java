package io.pspgateway.dataplane.doca;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pspgateway.dataplane.DataplaneException;
import io.pspgateway.dataplane.DataplaneOps;
import io.pspgateway.dataplane.SpiKey;
import io.pspgateway.psp.PspVersion;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Minting by bulk against the fake: the calls, the keys handed out, the native buffer wiped, the bulk always freed. */
class SpiKeyMinterTest {
    private FakeDoca fake;
    private DocaFlow flow;
    private SpiKeyMinter minter;
    private int liveAtStart;

    @BeforeEach
    void start() throws Exception {
        fake = FakeDoca.get();
        flow = DocaFlow.start(DocaFlowNative.bind(fake.lookup()), new DocaFlow.Settings(4, 2, MemorySegment.ofAddress(0x1000)));
        minter = new SpiKeyMinter(flow);
        liveAtStart = fake.liveObjects();
    }

    @AfterEach
    void stop() {
        assertEquals(liveAtStart, fake.liveObjects(), "a bulk was left allocated");
        flow.close();
    }

    /** The key-bulk calls, handle ids normalised. */
    private List<String> bulkCalls() {
        return fake.journal().stream().map(c -> c.toString().replaceAll("#\\d+", "#N"))
                .filter(c -> c.startsWith("doca_flow_crypto_psp")).toList();
    }

    /** The fake's key for an SPI: byte i is the SPI's low byte plus i. */
    private static byte[] fakeKey(int spi, int length) {
        byte[] key = new byte[length];
        for (int i = 0; i < length; i++) {
            key[i] = (byte) (spi + i);
        }
        return key;
    }

    @Test
    void oneBulkPerRequestEveryKeyCopiedOutAndTheNativeBufferZeroedBeforeTheFree() {
        List<SpiKey> keys = minter.mint(3, PspVersion.V1);
        assertEquals(List.of("doca_flow_crypto_psp_spi_key_bulk_alloc port#N type=1 count=3",
                "doca_flow_crypto_psp_spi_key_bulk_generate bulk#N",
                "doca_flow_crypto_psp_spi_key_bulk_get bulk#N index=0",
                "doca_flow_crypto_psp_spi_key_bulk_get bulk#N index=1",
                "doca_flow_crypto_psp_spi_key_bulk_get bulk#N index=2",
                "doca_flow_crypto_psp_spi_key_bulk_free bulk#N keys=zeroed"), bulkCalls());
        assertEquals(3, keys.stream().mapToInt(SpiKey::spi).distinct().count());
        for (SpiKey k : keys) {
            assertEquals(PspVersion.V1, k.version());
            assertArrayEquals(fakeKey(k.spi(), 32), k.key());
        }
    }

    @Test
    void version0KeysAre128BitsFromA128BitBulk() {
        SpiKey k = minter.mint(1, PspVersion.V0).getFirst();
        assertTrue(bulkCalls().getFirst().endsWith("type=0 count=1"), bulkCalls().toString());
        assertArrayEquals(fakeKey(k.spi(), 16), k.key());
    }

    @Test
    void aNicWithNoBulkToGiveIsResourceExhaustedAndNothingElseIsCalled() {
        fake.fail("doca_flow_crypto_psp_spi_key_bulk_alloc", 0, DocaAbi.DOCA_ERROR_NO_MEMORY);
        DataplaneException e = assertThrows(DataplaneException.class, () -> minter.mint(8, PspVersion.V1));
        assertEquals(DataplaneException.Kind.RESOURCE_EXHAUSTED, e.kind());
        assertTrue(e.getMessage().contains("DOCA_ERROR_NO_MEMORY"), e.getMessage());
        assertEquals(List.of("doca_flow_crypto_psp_spi_key_bulk_alloc port#N type=1 count=8"), bulkCalls());
    }

    @Test
    void aGetThatFailsPartWayIsInternalAndTheBulkIsStillFreedWithItsBufferZeroed() {
        fake.fail("doca_flow_crypto_psp_spi_key_bulk_get", 1, DocaAbi.DOCA_ERROR_INVALID_VALUE);
        DataplaneException e = assertThrows(DataplaneException.class, () -> minter.mint(3, PspVersion.V1));
        assertEquals(DataplaneException.Kind.INTERNAL, e.kind());
        List<String> calls = bulkCalls();
        assertEquals("doca_flow_crypto_psp_spi_key_bulk_free bulk#N keys=zeroed", calls.getLast());
        assertEquals(2, calls.stream().filter(c -> c.contains("bulk_get")).count());
    }

    @Test
    void aGenerateThatFailsIsInternalAndFreesTheBulk() {
        fake.fail("doca_flow_crypto_psp_spi_key_bulk_generate", 0, DocaAbi.DOCA_ERROR_AGAIN);
        DataplaneException e = assertThrows(DataplaneException.class, () -> minter.mint(2, PspVersion.V1));
        assertEquals(DataplaneException.Kind.INTERNAL, e.kind());
        assertEquals("doca_flow_crypto_psp_spi_key_bulk_free bulk#N keys=none-read", bulkCalls().getLast());
    }

    @Test
    void aCountOutsideTheBoundsIsRefusedBeforeAnyCall() {
        for (int count : new int[] {0, -1, DataplaneOps.MAX_MINT + 1}) {
            DataplaneException e = assertThrows(DataplaneException.class, () -> minter.mint(count, PspVersion.V1));
            assertEquals(DataplaneException.Kind.INVALID_ARGUMENT, e.kind());
        }
        assertEquals(List.of(), bulkCalls());
    }
}
