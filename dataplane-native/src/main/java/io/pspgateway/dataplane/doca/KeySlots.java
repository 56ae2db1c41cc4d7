package io.pspgateway.dataplane.doca;

import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_FLOW_SHARED_RESOURCE_SET_CFG;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.pspgateway.dataplane.DataplaneException;
import io.pspgateway.psp.PspVersion;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * The NIC's key slots: PSP shared resources bound to the PF at start, slot s as crypto id s + 1
 * (BACKEND-NOTES 2.4). Programming a slot hands DOCA a {@code psp_cfg} pointing at the key;
 * DOCA copies it during the call, so the native copy is zeroed as soon as the call returns.
 *
 * <p>DOCA 3.0 has no call that empties a slot. {@link #wipe} overwrites the key with random bytes
 * nobody knows, so an entry still using the slot seals with a key no peer can open; the caller
 * removes those entries. That the NIC keeps no trace of the old key after an overwrite is what
 * the API reference implies and has to be confirmed on hardware.
 */
final class KeySlots {
    private static final long KEY_TYPE = DocaAbi.SHARED_RESOURCE_CFG.byteOffset(groupElement("arm"), groupElement("psp_cfg"),
            groupElement("key_cfg"), groupElement("key_type"));
    private static final long KEY = DocaAbi.SHARED_RESOURCE_CFG.byteOffset(groupElement("arm"), groupElement("psp_cfg"),
            groupElement("key_cfg"), groupElement("key"));

    private final DocaFlowNative doca;
    private final int count;
    /** The version each slot's key is for; null when empty. Guarded by this: inspection reads from any thread. */
    private final PspVersion[] programmed;
    private final SecureRandom random = new SecureRandom();

    KeySlots(DocaFlow flow, int count) {
        this.doca = flow.doca();
        this.count = count;
        this.programmed = new PspVersion[count];
    }

    int count() {
        return count;
    }

    /**
     * Programs {@code slot} with {@code key} for {@code version}, replacing any key it held.
     *
     * @throws DataplaneException INVALID_ARGUMENT for a slot outside 0..count-1 or a key not of the version's length;
     *     INTERNAL when DOCA refuses the key (the slot then holds what it held before, as far as DOCA tells)
     */
    synchronized void program(int slot, PspVersion version, byte[] key) {
        requireSlot(slot);
        if (key.length != version.keyBytes()) {
            throw new DataplaneException(DataplaneException.Kind.INVALID_ARGUMENT,
                    "a " + version + " key is " + version.keyBytes() + " bytes, not " + key.length);
        }
        set(slot, version.keyBytes() == 16 ? DocaAbi.DOCA_FLOW_CRYPTO_KEY_128 : DocaAbi.DOCA_FLOW_CRYPTO_KEY_256, key);
        programmed[slot] = version;
    }

    /** Overwrites {@code slot}'s key with random bytes; an empty slot is left as it is. */
    synchronized void wipe(int slot) {
        requireSlot(slot);
        if (programmed[slot] == null) {
            return;
        }
        byte[] unknown = new byte[32];
        random.nextBytes(unknown);
        try {
            set(slot, DocaAbi.DOCA_FLOW_CRYPTO_KEY_256, unknown);
        } finally {
            Arrays.fill(unknown, (byte) 0);
        }
        programmed[slot] = null;
    }

    /** Wipes every slot that holds a key: at shutdown. */
    synchronized void wipeAll() {
        for (int slot = 0; slot < count; slot++) {
            wipe(slot);
        }
    }

    synchronized boolean isProgrammed(int slot) {
        return programmed[slot] != null;
    }

    /** The version of the key in {@code slot}, or null when it is empty or does not exist. */
    synchronized PspVersion version(int slot) {
        return slot >= 0 && slot < count ? programmed[slot] : null;
    }

    synchronized int inUse() {
        int n = 0;
        for (PspVersion v : programmed) {
            n += v != null ? 1 : 0;
        }
        return n;
    }

    private void set(int slot, int keyType, byte[] key) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment nativeKey = arena.allocate(JAVA_BYTE, key.length);
            MemorySegment cfg = arena.allocate(DocaAbi.SHARED_RESOURCE_CFG);
            try {
                MemorySegment.copy(key, 0, nativeKey, JAVA_BYTE, 0, key.length);
                cfg.set(JAVA_INT, KEY_TYPE, keyType);
                cfg.set(ADDRESS, KEY, nativeKey);
                doca.call(DOCA_FLOW_SHARED_RESOURCE_SET_CFG, DocaAbi.DOCA_FLOW_SHARED_RESOURCE_PSP, DocaFlow.cryptoId(slot), cfg);
            } catch (DocaCallException e) {
                throw new DataplaneException(DataplaneException.Kind.INTERNAL, "key slot " + slot + ": " + e.getMessage());
            } finally {
                nativeKey.fill((byte) 0);
            }
        }
    }

    private void requireSlot(int slot) {
        if (slot < 0 || slot >= count) {
            throw new DataplaneException(DataplaneException.Kind.INVALID_ARGUMENT, "no key slot " + slot + ": 0 to " + (count - 1));
        }
    }
}
