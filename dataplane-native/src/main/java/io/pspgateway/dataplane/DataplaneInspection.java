package io.pspgateway.dataplane;

import java.util.OptionalInt;

/**
 * What a data plane backend holds now, read back from the backend itself rather than from what
 * the control plane believes it programmed: for the invariant checks, the contract tests and
 * operators' views. Never on the packet path. Every backend implements it beside
 * {@link DataplaneOps}; reads may come from any thread and see each table as of some moment.
 */
public interface DataplaneInspection {

    /** Key slots holding a key now (0 to {@link DataplaneOps#keySlotCount()}). */
    int keySlotsInUse();

    /** Encrypt entries installed now. */
    int encryptEntryCount();

    /** Ingress ACL entries installed now. */
    int ingressAclCount();

    /** The SPI the encrypt entry of {@code flow} sends with; empty when there is no entry for it. */
    OptionalInt encryptEntrySpi(FlowKey flow);

    /** The master keys' generation: 0 at start, one more at each {@link DataplaneOps#rotateMasterKey()}. */
    long masterKeyGeneration();
}
