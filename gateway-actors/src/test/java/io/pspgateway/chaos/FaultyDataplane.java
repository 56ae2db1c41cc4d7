package io.pspgateway.chaos;

import io.pspgateway.dataplane.DataplaneCounters;
import io.pspgateway.dataplane.DataplaneException;
import io.pspgateway.dataplane.DataplaneOps;
import io.pspgateway.dataplane.EncryptEntry;
import io.pspgateway.dataplane.EntryCounters;
import io.pspgateway.dataplane.FlowKey;
import io.pspgateway.dataplane.HeldPacket;
import io.pspgateway.dataplane.MissQueue;
import io.pspgateway.dataplane.SpiKey;
import io.pspgateway.psp.PspVersion;
import java.net.InetAddress;
import java.util.List;

/**
 * A data plane backend that misbehaves as the plan says, as a busy, slow or buggy device would:
 * inserts, key programming and removals that fail with a {@link DataplaneException}, writes that
 * take their time, and calls that throw something unexpected (a driver bug).
 */
public final class FaultyDataplane implements DataplaneOps {
    private final DataplaneOps delegate;
    private final FaultPlan.Dice dice;

    public FaultyDataplane(DataplaneOps delegate, FaultPlan.Dice dice) {
        this.delegate = delegate;
        this.dice = dice;
    }

    /** Takes the plan's time for a write, as a slow device does. */
    private void slowDevice() {
        if (dice.active() && !dice.plan().writeDelay().isZero()) {
            try {
                Thread.sleep(dice.plan().writeDelay());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Refuses a removal, as a busy device would, when the plan says so. */
    private void maybeRefuseRemoval(String what) {
        slowDevice();
        if (dice.roll(dice.plan().removalFailure())) {
            throw new DataplaneException(DataplaneException.Kind.INTERNAL, "injected fault: " + what + " refused");
        }
    }

    /** Throws what a driver bug would, when the plan says so. */
    private void maybeCrash(String call) {
        if (dice.roll(dice.plan().backendCrash())) {
            throw new IllegalStateException("injected backend bug in " + call);
        }
    }

    @Override
    public void addEncryptEntry(EncryptEntry entry) {
        maybeCrash("addEncryptEntry");
        if (dice.roll(dice.plan().installFailure())) {
            throw new DataplaneException(DataplaneException.Kind.INTERNAL, "injected fault: entry insert failed");
        }
        slowDevice();
        delegate.addEncryptEntry(entry);
    }

    @Override
    public List<SpiKey> mintSpiKeys(int count, PspVersion version) {
        maybeCrash("mintSpiKeys");
        return delegate.mintSpiKeys(count, version);
    }

    @Override
    public void programKeySlot(int cryptoId, PspVersion version, byte[] key) {
        maybeCrash("programKeySlot");
        if (dice.roll(dice.plan().programFailure())) {
            throw new DataplaneException(DataplaneException.Kind.INTERNAL, "injected fault: key slot programming failed");
        }
        slowDevice();
        delegate.programKeySlot(cryptoId, version, key);
    }

    @Override
    public void wipeKeySlot(int cryptoId) {
        maybeRefuseRemoval("key slot wipe");
        delegate.wipeKeySlot(cryptoId);
    }

    @Override
    public int keySlotCount() {
        return delegate.keySlotCount();
    }

    @Override
    public boolean removeEncryptEntry(FlowKey flow) {
        maybeRefuseRemoval("encrypt entry removal");
        return delegate.removeEncryptEntry(flow);
    }

    @Override
    public void addIngressAcl(int spi, InetAddress sourceVip, InetAddress destinationVip) {
        maybeCrash("addIngressAcl");
        slowDevice();
        delegate.addIngressAcl(spi, sourceVip, destinationVip);
    }

    @Override
    public boolean removeIngressAcl(int spi, InetAddress sourceVip, InetAddress destinationVip) {
        maybeRefuseRemoval("ingress ACL removal");
        return delegate.removeIngressAcl(spi, sourceVip, destinationVip);
    }

    @Override
    public long rotateMasterKey() {
        return delegate.rotateMasterKey();
    }

    @Override
    public DataplaneCounters counters() {
        return delegate.counters();
    }

    @Override
    public EntryCounters encryptEntryCounters(FlowKey flow) {
        return delegate.encryptEntryCounters(flow);
    }

    @Override
    public EntryCounters ingressAclCounters(int spi, InetAddress sourceVip, InetAddress destinationVip) {
        return delegate.ingressAclCounters(spi, sourceVip, destinationVip);
    }

    @Override
    public void reinject(HeldPacket packet) {
        delegate.reinject(packet);
    }

    @Override
    public MissQueue missQueue() {
        return delegate.missQueue();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
