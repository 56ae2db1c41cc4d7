package io.pspgateway.dataplane.memory;

import io.pspgateway.dataplane.ControlChecks;
import io.pspgateway.dataplane.DataplaneCounters;
import io.pspgateway.dataplane.DataplaneException;
import io.pspgateway.dataplane.DataplaneInspection;
import io.pspgateway.dataplane.DataplaneOps;
import io.pspgateway.dataplane.DropReason;
import io.pspgateway.dataplane.EncryptEntry;
import io.pspgateway.dataplane.EntryCounters;
import io.pspgateway.dataplane.FlowKey;
import io.pspgateway.dataplane.HeldPacket;
import io.pspgateway.dataplane.HoldReason;
import io.pspgateway.dataplane.MissQueue;
import io.pspgateway.dataplane.SpiKey;
import io.pspgateway.psp.PspVersion;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A data plane with no packet path: it keeps what it is programmed with in maps and records what
 * it is asked to re-inject, for control-plane tests that need no packets. It keeps the whole
 * control contract of {@link DataplaneOps} (the same errors, generations and SPI layout as a real
 * backend) so that a test passing on it says something about the control plane; its keys are
 * random, not derived from master keys, and no packet is ever sealed or opened with them.
 */
public final class RecordingDataplane implements DataplaneOps, DataplaneInspection {
    private static final int SPI_INDEX_MASK = 0x7FFF_FFFF;

    private final SecureRandom random = new SecureRandom();
    private final byte[][] slots;
    private final PspVersion[] slotVersions;
    private final Map<FlowKey, EncryptEntry> entries = new ConcurrentHashMap<>();
    private final Map<FlowKey, Boolean> acls = new ConcurrentHashMap<>();
    private final List<HeldPacket> reinjected = new CopyOnWriteArrayList<>();
    private final MissQueue missQueue = new MissQueue(2);
    private volatile long generation;
    private long spisMinted;

    /** {@code keySlots} key slots, and 2^31 - 1 SPIs per master key as in the PSP SPI layout. */
    public RecordingDataplane(int keySlots) {
        if (keySlots < 1) {
            throw new IllegalArgumentException("at least one key slot");
        }
        this.slots = new byte[keySlots][];
        this.slotVersions = new PspVersion[keySlots];
    }

    @Override
    public synchronized List<SpiKey> mintSpiKeys(int count, PspVersion version) {
        ControlChecks.mintCount(count);
        if (SPI_INDEX_MASK - spisMinted < count) {
            throw new DataplaneException(DataplaneException.Kind.RESOURCE_EXHAUSTED, "the active master key has "
                    + (SPI_INDEX_MASK - spisMinted) + " SPIs left, asked for " + count + "; rotate the keys");
        }
        int activeBit = (int) (generation & 1) << 31;
        List<SpiKey> minted = new ArrayList<>(count);
        byte[] key = new byte[version.keyBytes()];
        for (int i = 0; i < count; i++) {
            random.nextBytes(key);
            minted.add(new SpiKey(activeBit | (int) ++spisMinted, version, key));
        }
        Arrays.fill(key, (byte) 0);
        return minted;
    }

    @Override
    public synchronized void programKeySlot(int cryptoId, PspVersion version, byte[] key) {
        checkSlot(cryptoId);
        if (key.length != version.keyBytes()) {
            throw new DataplaneException(DataplaneException.Kind.INVALID_ARGUMENT,
                    "a PSP " + version + " key has " + version.keyBytes() + " bytes, not " + key.length);
        }
        wipe(cryptoId);
        slots[cryptoId] = key.clone();
        slotVersions[cryptoId] = version;
    }

    @Override
    public synchronized void wipeKeySlot(int cryptoId) {
        checkSlot(cryptoId);
        wipe(cryptoId);
    }

    private void wipe(int cryptoId) {
        if (slots[cryptoId] != null) {
            Arrays.fill(slots[cryptoId], (byte) 0);
            slots[cryptoId] = null;
            slotVersions[cryptoId] = null;
        }
    }

    private void checkSlot(int cryptoId) {
        ControlChecks.slot(cryptoId, slots.length);
    }

    @Override
    public int keySlotCount() {
        return slots.length;
    }

    @Override
    public synchronized int keySlotsInUse() {
        return (int) Arrays.stream(slots).filter(s -> s != null).count();
    }

    @Override
    public synchronized void addEncryptEntry(EncryptEntry entry) {
        checkSlot(entry.cryptoId());
        ControlChecks.slotServes(entry.cryptoId(), Optional.ofNullable(slotVersions[entry.cryptoId()]), entry.version());
        entries.put(entry.flow(), entry);
    }

    @Override
    public boolean removeEncryptEntry(FlowKey flow) {
        return entries.remove(flow) != null;
    }

    @Override
    public int encryptEntryCount() {
        return entries.size();
    }

    @Override
    public OptionalInt encryptEntrySpi(FlowKey flow) {
        EncryptEntry e = entries.get(flow);
        return e == null ? OptionalInt.empty() : OptionalInt.of(e.spi());
    }

    @Override
    public void addIngressAcl(int spi, InetAddress sourceVip, InetAddress destinationVip) {
        acls.putIfAbsent(ControlChecks.aclKey(spi, sourceVip, destinationVip), Boolean.TRUE);
    }

    @Override
    public boolean removeIngressAcl(int spi, InetAddress sourceVip, InetAddress destinationVip) {
        return acls.remove(ControlChecks.aclKey(spi, sourceVip, destinationVip)) != null;
    }

    @Override
    public int ingressAclCount() {
        return acls.size();
    }

    @Override
    public synchronized long rotateMasterKey() {
        spisMinted = 0;
        return ++generation;
    }

    @Override
    public long masterKeyGeneration() {
        return generation;
    }

    /** All zero but the rotations: nothing passes through this backend. */
    @Override
    public DataplaneCounters counters() {
        return new DataplaneCounters(0, 0, 0, 0, 0, 0, 0, 0, Map.<DropReason, Long>of(), Map.<HoldReason, Long>of(), generation,
                io.pspgateway.dataplane.port.OffloadCounters.NONE, io.pspgateway.dataplane.SlowPathCounters.NONE);
    }

    @Override
    public EntryCounters encryptEntryCounters(FlowKey flow) {
        return entries.containsKey(flow) ? new EntryCounters(0, 0) : null;
    }

    @Override
    public EntryCounters ingressAclCounters(int spi, InetAddress sourceVip, InetAddress destinationVip) {
        return acls.containsKey(ControlChecks.aclKey(spi, sourceVip, destinationVip)) ? new EntryCounters(0, 0) : null;
    }

    /** Records the packet: {@link #reinjected()} lists them in order. */
    @Override
    public void reinject(HeldPacket packet) {
        reinjected.add(packet);
    }

    /** The packets re-injected so far, oldest first. */
    public List<HeldPacket> reinjected() {
        return List.copyOf(reinjected);
    }

    /** Nothing feeds it: no packet ever misses here. */
    @Override
    public MissQueue missQueue() {
        return missQueue;
    }

    @Override
    public synchronized void close() {
        for (int i = 0; i < slots.length; i++) {
            wipe(i);
        }
    }
}
