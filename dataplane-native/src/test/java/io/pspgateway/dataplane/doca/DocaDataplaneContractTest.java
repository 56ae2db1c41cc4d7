package io.pspgateway.dataplane.doca;

import io.pspgateway.dataplane.DataplaneControlContract;
import io.pspgateway.dataplane.DataplaneOps;
import io.pspgateway.psp.PspMode;
import java.lang.foreign.MemorySegment;
import java.util.Optional;

/** The doca backend keeps the data plane's control contract, on the fake DOCA libraries. */
class DocaDataplaneContractTest extends DataplaneControlContract {
    static final byte[] PF_MAC = {0x02, 0, 0, 0, 0, 0x01};
    static final byte[] PEER_MAC = {0x02, 0, 0, 0, 0, 0x02};

    static DocaDataplane.Config config(int keySlots) {
        return new DocaDataplane.Config(new DocaFlow.Settings(keySlots, 2, MemorySegment.ofAddress(0x1000)),
                new DocaPipeline.Settings(PspMode.TUNNEL, keySlots, 2, true, 0, false, false, PF_MAC, PF_MAC), Optional.of(PEER_MAC));
    }

    @Override
    protected DataplaneOps open(int keySlots) {
        try {
            return DocaDataplane.open(DocaFlowNative.bind(FakeDoca.get().lookup()), config(keySlots), new MemorySlowPath(64));
        } catch (DocaUnavailableException e) {
            throw new AssertionError(e);
        }
    }
}
