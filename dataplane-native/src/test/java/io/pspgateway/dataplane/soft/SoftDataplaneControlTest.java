package io.pspgateway.dataplane.soft;

import io.pspgateway.dataplane.DataplaneControlContract;
import io.pspgateway.dataplane.DataplaneOps;
import io.pspgateway.dataplane.port.MemoryPort;

class SoftDataplaneControlTest extends DataplaneControlContract {
    @Override
    protected DataplaneOps open(int keySlots) {
        SoftDataplane dp = new SoftDataplane(SoftDataplaneSettings.defaults().withKeySlots(keySlots),
                MemoryPort.link("host", "plain", 16)[1], MemoryPort.link("wire", "secure", 16)[1]);
        dp.start();
        return dp;
    }
}
