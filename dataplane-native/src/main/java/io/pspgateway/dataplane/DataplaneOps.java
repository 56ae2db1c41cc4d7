package io.pspgateway.dataplane;

import io.pspgateway.psp.PspVersion;
import java.net.InetAddress;
import java.util.List;

/**
 * Everything the control plane may ask of a data plane backend, and nothing more: shaped like
 * the Linux kernel's {@code psp_dev_ops} and the DOCA Flow calls of NVIDIA's PSP gateway. Two
 * backends implement it: {@code soft} (this module's pure-Java pipeline) and {@code doca}.
 *
 * <h2>Threading</h2>
 * One writer: every method that changes state ({@code mint}, {@code program}, {@code wipe},
 * {@code add}, {@code remove}, {@code rotate}, {@code reinject}) is called from a single control
 * thread at a time (the Dataplane actor). Packet threads read the tables concurrently and never
 * block: a change becomes visible to them atomically, entry by entry. Counter reads may come from
 * any thread.
 *
 * <h2>Errors</h2>
 * A request that cannot be carried out throws {@link DataplaneException} with the kind the
 * control plane maps to a gRPC status; the data plane's state is then unchanged.
 */
public interface DataplaneOps extends AutoCloseable {

    /** The most SPIs one {@link #mintSpiKeys} call may ask for. */
    int MAX_MINT = 1 << 20;

    /**
     * Mints {@code count} fresh SPIs under the active master key and derives their keys for
     * {@code version}: what a peer needs to send to us. SPI bit 31 tells which master key.
     *
     * @throws DataplaneException INVALID_ARGUMENT when {@code count} is outside 1..{@link #MAX_MINT};
     *                            RESOURCE_EXHAUSTED when the active key has not {@code count} SPIs left
     */
    List<SpiKey> mintSpiKeys(int count, PspVersion version);

    /**
     * Programs key slot {@code cryptoId} (0 to {@link #keySlotCount()} - 1) with a key a peer
     * minted for us to send with. Replacing a live key is allowed (rekey); entries that used the
     * old key stop sending until they are re-added.
     *
     * @throws DataplaneException INVALID_ARGUMENT when the slot does not exist or the key is not of the version's length
     */
    void programKeySlot(int cryptoId, PspVersion version, byte[] key);

    /**
     * Wipes key slot {@code cryptoId}: the key is gone, and entries using it stop sending. Wiping an
     * empty slot does nothing.
     *
     * @throws DataplaneException INVALID_ARGUMENT when the slot does not exist
     */
    void wipeKeySlot(int cryptoId);

    /** Number of key slots ({@code --max-tunnels}). */
    int keySlotCount();

    /**
     * Adds (or replaces) the encrypt entry for the entry's VIP pair. The entry is live when this
     * returns: the next packet of that pair is sealed with it.
     *
     * @throws DataplaneException INVALID_ARGUMENT when its key slot is empty or of another version
     */
    void addEncryptEntry(EncryptEntry entry);

    /** Removes the encrypt entry of {@code flow}; its packets miss again. False when there was none. */
    boolean removeEncryptEntry(FlowKey flow);

    /**
     * Allows decrypted packets under {@code spi} from {@code sourceVip} to {@code destinationVip}
     * (DOCA's ingress ACL entry). Adding an entry that exists does nothing.
     *
     * @throws DataplaneException INVALID_ARGUMENT when the VIPs are of different families
     */
    void addIngressAcl(int spi, InetAddress sourceVip, InetAddress destinationVip);

    /** Closes an ingress ACL entry. False when there was none. */
    boolean removeIngressAcl(int spi, InetAddress sourceVip, InetAddress destinationVip);

    /**
     * Rotates the master keys: a new key becomes active for minting; SPIs minted under the key
     * active until now keep decrypting ("previous"); SPIs minted before the last rotation die
     * ("stale"), and their packets are dropped from now on. Returns the new generation number.
     */
    long rotateMasterKey();

    /** A snapshot of the global counters. */
    DataplaneCounters counters();

    /** Counters of the encrypt entry of {@code flow}, or null when there is none. */
    EntryCounters encryptEntryCounters(FlowKey flow);

    /** Counters of an ingress ACL entry, or null when there is none. */
    EntryCounters ingressAclCounters(int spi, InetAddress sourceVip, InetAddress destinationVip);

    /**
     * Sends a held packet through the egress pipeline again, as if it had just arrived from the
     * host (DOCA's re-injection). Packets re-injected one after another leave in that order.
     */
    void reinject(HeldPacket packet);

    /** The queue of packets for the slow path (misses and samples). */
    MissQueue missQueue();

    /** Stops packet processing and releases every resource; keys in slots are wiped. */
    @Override
    void close();
}
