package io.pspgateway.dataplane.doca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pspgateway.dataplane.DataplaneException;
import io.pspgateway.psp.PspVersion;
import java.lang.foreign.MemorySegment;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Key slots as PSP shared resources: crypto id = slot + 1, the key bytes DOCA is given, wiping by overwrite. */
class KeySlotsTest {
    private FakeDoca fake;
    private DocaFlow flow;
    private KeySlots slots;

    @BeforeEach
    void start() throws Exception {
        fake = FakeDoca.get();
        flow = DocaFlow.start(DocaFlowNative.bind(fake.lookup()), new DocaFlow.Settings(4, 2, MemorySegment.ofAddress(0x1000)));
        slots = new KeySlots(flow, 4);
    }

    @AfterEach
    void stop() {
        flow.close();
    }

    private List<String> keyCalls() {
        return fake.journal().stream().map(FakeDoca.Call::toString).filter(c -> c.startsWith("doca_flow_shared_resource_set_cfg")).toList();
    }

    private static byte[] key(int length, int first) {
        byte[] key = new byte[length];
        for (int i = 0; i < length; i++) {
            key[i] = (byte) (first + i);
        }
        return key;
    }

    @Test
    void aSlotIsProgrammedAsCryptoIdSlotPlusOneWithTheKeyTypeOfItsVersion() {
        byte[] k1 = key(32, 0xa0);
        byte[] k0 = key(16, 0x10);
        slots.program(0, PspVersion.V1, k1);
        slots.program(3, PspVersion.V0, k0);
        assertEquals(List.of("doca_flow_shared_resource_set_cfg type=4 id=1 key_type=1 key=" + HexFormat.of().formatHex(k1),
                "doca_flow_shared_resource_set_cfg type=4 id=4 key_type=0 key=" + HexFormat.of().formatHex(k0)), keyCalls());
        assertTrue(slots.isProgrammed(0) && slots.isProgrammed(3));
    }

    @Test
    void aSlotOutsideTheRangeOrAKeyOfTheWrongLengthIsRefusedWithoutACall() {
        for (int slot : new int[] {-1, 4}) {
            assertEquals(DataplaneException.Kind.INVALID_ARGUMENT,
                    assertThrows(DataplaneException.class, () -> slots.program(slot, PspVersion.V1, key(32, 0))).kind());
            assertEquals(DataplaneException.Kind.INVALID_ARGUMENT, assertThrows(DataplaneException.class, () -> slots.wipe(slot)).kind());
        }
        DataplaneException e = assertThrows(DataplaneException.class, () -> slots.program(1, PspVersion.V1, key(16, 0)));
        assertEquals("a V1 key is 32 bytes, not 16", e.getMessage());
        assertEquals(List.of(), keyCalls());
    }

    @Test
    void wipingOverwritesTheKeyWithUnknownBytesAndAnEmptySlotIsLeftAlone() {
        byte[] k = key(32, 0x40);
        slots.program(2, PspVersion.V1, k);
        slots.wipe(2);
        slots.wipe(2);
        slots.wipe(1);
        List<String> calls = keyCalls();
        assertEquals(2, calls.size(), calls.toString());
        String wiped = calls.get(1);
        assertTrue(wiped.startsWith("doca_flow_shared_resource_set_cfg type=4 id=3 key_type=1 key="), wiped);
        String written = wiped.substring(wiped.indexOf("key=") + 4);
        assertNotEquals(HexFormat.of().formatHex(k), written);
        assertNotEquals("00".repeat(32), written);
        assertFalse(slots.isProgrammed(2));
    }

    @Test
    void aKeyDocaRefusesIsInternalAndTheSlotIsNotTakenForProgrammed() {
        fake.fail("doca_flow_shared_resource_set_cfg", 0, DocaAbi.DOCA_ERROR_INVALID_VALUE);
        DataplaneException e = assertThrows(DataplaneException.class, () -> slots.program(1, PspVersion.V1, key(32, 1)));
        assertEquals(DataplaneException.Kind.INTERNAL, e.kind());
        assertEquals("key slot 1: doca_flow_shared_resource_set_cfg failed: DOCA_ERROR_INVALID_VALUE (6)", e.getMessage());
        assertFalse(slots.isProgrammed(1));
    }
}
