package io.pspgateway.dataplane.soft;

import io.pspgateway.psp.TxSecurityAssociation;

/**
 * A live encrypt entry: the prebuilt SA (SPI, key, outer header, offsets) and the slot key it
 * was built from, so that a wiped or reprogrammed slot stops the entry at once.
 */
final class EgressEntry extends FlowCounter {
    final int cryptoId;
    final SlotKey slotKey;
    final TxSecurityAssociation sa;

    EgressEntry(int cryptoId, SlotKey slotKey, TxSecurityAssociation sa) {
        this.cryptoId = cryptoId;
        this.slotKey = slotKey;
        this.sa = sa;
    }
}
