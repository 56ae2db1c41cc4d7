package io.pspgateway.dataplane.memory;

import io.pspgateway.dataplane.DataplaneControlContract;
import io.pspgateway.dataplane.DataplaneOps;

class RecordingDataplaneControlTest extends DataplaneControlContract {
    @Override
    protected DataplaneOps open(int keySlots) {
        return new RecordingDataplane(keySlots);
    }
}
