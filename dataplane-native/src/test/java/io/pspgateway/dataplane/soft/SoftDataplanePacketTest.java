package io.pspgateway.dataplane.soft;

import io.pspgateway.dataplane.DataplaneOps;
import io.pspgateway.dataplane.DataplanePacketContract;
import io.pspgateway.dataplane.port.PacketPort;

class SoftDataplanePacketTest extends DataplanePacketContract {
    @Override
    protected DataplaneOps open(Needs needs, PacketPort plain, PacketPort secure) {
        SoftDataplane dp = new SoftDataplane(SoftDataplaneSettings.defaults().withSampleLog2(needs.sampleLog2())
                .withIngressAcl(needs.ingressAcl()).withInnerIpVersion(needs.innerIpVersion())
                .withMissQueueCapacity(needs.missQueueCapacity()), plain, secure);
        dp.start();
        return dp;
    }
}
