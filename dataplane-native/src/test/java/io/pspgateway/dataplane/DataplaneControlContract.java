package io.pspgateway.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pspgateway.psp.PspMode;
import io.pspgateway.psp.PspVersion;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * What every data plane backend must do when the control plane programs it, whatever it runs on:
 * minting, key slots, encrypt entries, ingress ACLs and master key generations; each refused
 * request refused with its kind and the state unchanged; and {@link DataplaneInspection} agreeing
 * with what was programmed. A backend's test extends this class and only says how to open one;
 * it never overrides nor disables a case.
 */
public abstract class DataplaneControlContract {
    protected static final int SLOTS = 8;

    /** The backend under test with {@link #SLOTS} key slots, fresh (generation 0, nothing programmed). */
    protected abstract DataplaneOps open(int keySlots);

    private DataplaneOps ops;
    private DataplaneInspection inspection;

    private final InetAddress vipA = address("10.0.0.1");
    private final InetAddress vipB = address("10.0.0.2");
    private final InetAddress physA = address("192.0.2.1");
    private final InetAddress physB = address("192.0.2.2");

    @BeforeEach
    final void openBackend() {
        ops = open(SLOTS);
        assertTrue(ops instanceof DataplaneInspection, "a backend implements DataplaneInspection");
        inspection = (DataplaneInspection) ops;
    }

    @AfterEach
    final void closeBackend() {
        ops.close();
    }

    private EncryptEntry entry(int cryptoId, int spi, PspVersion version) {
        return new EncryptEntry(vipA, vipB, cryptoId, spi, version, PspMode.TUNNEL, 0, null, physA, physB, null);
    }

    @Test
    final void aFreshBackendHoldsNothing() {
        assertEquals(SLOTS, ops.keySlotCount());
        assertEquals(0, inspection.keySlotsInUse());
        assertEquals(0, inspection.encryptEntryCount());
        assertEquals(0, inspection.ingressAclCount());
        assertEquals(0, inspection.masterKeyGeneration());
        assertEquals(OptionalInt.empty(), inspection.encryptEntrySpi(FlowKey.of(vipA, vipB)));
    }

    @Test
    final void mintedSpisAreDistinctNonZeroAndCarryKeysOfTheirVersion() {
        Set<Integer> spis = new HashSet<>();
        for (PspVersion version : PspVersion.values()) {
            List<SpiKey> minted = ops.mintSpiKeys(100, version);
            assertEquals(100, minted.size());
            for (SpiKey k : minted) {
                assertTrue(spis.add(k.spi()), "SPI " + Integer.toHexString(k.spi()) + " minted twice");
                assertTrue((k.spi() & 0x7FFF_FFFF) != 0, "SPI 0 is reserved");
                assertEquals(version, k.version());
                assertEquals(version.keyBytes(), k.key().length);
            }
            assertFalse(java.util.Arrays.equals(minted.get(0).key(), minted.get(1).key()), "each SPI has a key of its own");
        }
        long activeBits = spis.stream().map(spi -> spi >>> 31).distinct().count();
        assertEquals(1, activeBits, "every SPI minted under one master key carries its bit 31");
    }

    @Test
    final void mintingOutsideOneToMaxMintIsRefused() {
        refused(DataplaneException.Kind.INVALID_ARGUMENT, () -> ops.mintSpiKeys(0, PspVersion.V0));
        refused(DataplaneException.Kind.INVALID_ARGUMENT, () -> ops.mintSpiKeys(DataplaneOps.MAX_MINT + 1, PspVersion.V1));
    }

    @Test
    final void slotsHoldWhatWasProgrammedUntilWiped() {
        ops.programKeySlot(0, PspVersion.V0, new byte[16]);
        ops.programKeySlot(SLOTS - 1, PspVersion.V1, new byte[32]);
        assertEquals(2, inspection.keySlotsInUse());
        ops.programKeySlot(0, PspVersion.V1, new byte[32]);
        assertEquals(2, inspection.keySlotsInUse(), "re-programming a slot replaces its key");
        ops.wipeKeySlot(SLOTS - 1);
        ops.wipeKeySlot(3);
        assertEquals(1, inspection.keySlotsInUse(), "wiping an empty slot does nothing");
    }

    @Test
    final void badSlotRequestsAreRefusedAndChangeNothing() {
        ops.programKeySlot(2, PspVersion.V0, new byte[16]);
        refused(DataplaneException.Kind.INVALID_ARGUMENT, () -> ops.programKeySlot(SLOTS, PspVersion.V0, new byte[16]));
        refused(DataplaneException.Kind.INVALID_ARGUMENT, () -> ops.programKeySlot(-1, PspVersion.V0, new byte[16]));
        refused(DataplaneException.Kind.INVALID_ARGUMENT, () -> ops.programKeySlot(1, PspVersion.V1, new byte[16]));
        refused(DataplaneException.Kind.INVALID_ARGUMENT, () -> ops.wipeKeySlot(SLOTS));
        assertEquals(1, inspection.keySlotsInUse());
        ops.addEncryptEntry(entry(2, 0x11, PspVersion.V0));
        assertEquals(1, inspection.encryptEntryCount(), "the slot refused nothing it held before");
    }

    @Test
    final void anEntryNeedsAProgrammedSlotOfItsVersion() {
        DataplaneException empty = assertThrows(DataplaneException.class, () -> ops.addEncryptEntry(entry(1, 0x21, PspVersion.V0)));
        assertEquals(DataplaneException.Kind.INVALID_ARGUMENT, empty.kind());
        assertTrue(empty.getMessage().contains("key slot 1"), "the refusal names the slot: " + empty.getMessage());
        ops.programKeySlot(1, PspVersion.V0, new byte[16]);
        refused(DataplaneException.Kind.INVALID_ARGUMENT, () -> ops.addEncryptEntry(entry(1, 0x21, PspVersion.V1)));
        refused(DataplaneException.Kind.INVALID_ARGUMENT, () -> ops.addEncryptEntry(entry(SLOTS, 0x21, PspVersion.V0)));
        assertEquals(0, inspection.encryptEntryCount());
        assertEquals(OptionalInt.empty(), inspection.encryptEntrySpi(FlowKey.of(vipA, vipB)));
    }

    @Test
    final void entriesAreAddedReplacedAndRemovedOnce() {
        FlowKey flow = FlowKey.of(vipA, vipB);
        ops.programKeySlot(1, PspVersion.V1, new byte[32]);
        ops.addEncryptEntry(entry(1, 0x31, PspVersion.V1));
        assertEquals(OptionalInt.of(0x31), inspection.encryptEntrySpi(flow));
        assertNotNull(ops.encryptEntryCounters(flow));
        ops.addEncryptEntry(entry(1, 0x32, PspVersion.V1));
        assertEquals(1, inspection.encryptEntryCount(), "one entry per VIP pair");
        assertEquals(OptionalInt.of(0x32), inspection.encryptEntrySpi(flow), "the new entry replaced the old");
        assertTrue(ops.removeEncryptEntry(flow));
        assertFalse(ops.removeEncryptEntry(flow), "removed once");
        assertEquals(0, inspection.encryptEntryCount());
        assertNull(ops.encryptEntryCounters(flow));
    }

    @Test
    final void aclsAreAddedOnceAndRemovedOnce() {
        ops.addIngressAcl(0x41, vipB, vipA);
        ops.addIngressAcl(0x41, vipB, vipA);
        ops.addIngressAcl(0x42, vipB, vipA);
        assertEquals(2, inspection.ingressAclCount());
        assertNotNull(ops.ingressAclCounters(0x41, vipB, vipA));
        assertNull(ops.ingressAclCounters(0x41, vipA, vipB), "an ACL is for one direction");
        assertTrue(ops.removeIngressAcl(0x41, vipB, vipA));
        assertFalse(ops.removeIngressAcl(0x41, vipB, vipA));
        assertEquals(1, inspection.ingressAclCount());
        refused(DataplaneException.Kind.INVALID_ARGUMENT, () -> ops.addIngressAcl(0x43, vipB, address("fd00::1")));
        assertEquals(1, inspection.ingressAclCount());
    }

    @Test
    final void eachRotationAdvancesTheGenerationAndFlipsTheMintingKey() {
        int before = ops.mintSpiKeys(1, PspVersion.V0).getFirst().spi();
        assertEquals(1, ops.rotateMasterKey());
        assertEquals(1, inspection.masterKeyGeneration());
        int after = ops.mintSpiKeys(1, PspVersion.V0).getFirst().spi();
        assertFalse((before >>> 31) == (after >>> 31), "SPIs minted after a rotation carry the other master key's bit");
        assertEquals(2, ops.rotateMasterKey());
        assertEquals(2, inspection.masterKeyGeneration());
        assertEquals(2, ops.counters().keyRotations());
        assertEquals(before >>> 31, ops.mintSpiKeys(1, PspVersion.V0).getFirst().spi() >>> 31);
    }

    @Test
    final void closingWipesEveryKey() {
        ops.programKeySlot(0, PspVersion.V0, new byte[16]);
        ops.programKeySlot(1, PspVersion.V1, new byte[32]);
        ops.close();
        assertEquals(0, inspection.keySlotsInUse());
    }

    private static void refused(DataplaneException.Kind kind, Executable request) {
        assertEquals(kind, assertThrows(DataplaneException.class, request).kind());
    }

    protected static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
