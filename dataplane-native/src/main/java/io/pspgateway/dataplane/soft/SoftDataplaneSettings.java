package io.pspgateway.dataplane.soft;

import io.pspgateway.psp.PspHeader;
import io.pspgateway.psp.SourcePortPolicy;

/**
 * Settings of the software data plane.
 *
 * @param keySlots          crypto slots, i.e. the most tunnels at once ({@code --max-tunnels}, default 256)
 * @param sampleLog2        egress sampling of 1 in 2^N packets; 0 turns it off ({@code --sample-rate})
 * @param ingressAcl        check the ingress ACL after decryption (off with {@code --disable-ingress-acl})
 * @param missQueueCapacity packets the miss queue holds before it drops
 * @param udpPort           PSP's UDP destination port (1000)
 * @param sourcePorts       how the outer UDP source port is chosen
 * @param workers           packet threads per direction
 * @param batchSize         packets per receive / send call
 * @param bufferSize        bytes per packet buffer (headroom + MTU + tailroom)
 * @param innerIpVersion    the inner IP version tunnels carry ({@code --inner-ip-type}: 4 or 6); a packet
 *                          of the other version that misses starts no set-up, it is dropped and counted
 */
public record SoftDataplaneSettings(int keySlots, int sampleLog2, boolean ingressAcl, int missQueueCapacity, int udpPort,
                                    SourcePortPolicy sourcePorts, int workers, int batchSize, int bufferSize,
                                    int innerIpVersion) {

    public SoftDataplaneSettings {
        require(keySlots >= 1 && keySlots <= 1 << 24, "keySlots must be 1..16777216: " + keySlots);
        require(sampleLog2 >= 0 && sampleLog2 <= 30, "sampleLog2 must be 0..30: " + sampleLog2);
        require(missQueueCapacity >= 2, "missQueueCapacity must be at least 2: " + missQueueCapacity);
        require(udpPort >= 1 && udpPort <= 65535, "udpPort must be 1..65535: " + udpPort);
        require(workers >= 1 && workers <= 64, "workers must be 1..64: " + workers);
        require(batchSize >= 1 && batchSize <= 1024, "batchSize must be 1..1024: " + batchSize);
        require(innerIpVersion == 4 || innerIpVersion == 6, "innerIpVersion must be 4 or 6: " + innerIpVersion);
        require(bufferSize >= 256 + PspHeader.ICV_LENGTH && bufferSize <= 1 << 17, "bufferSize must be 272..131072: " + bufferSize);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** The original gateway's defaults: 256 tunnels, no sampling, ACL on, PSP on UDP 1000, IPv4 inner packets. */
    public static SoftDataplaneSettings defaults() {
        return new SoftDataplaneSettings(256, 0, true, 4096, PspHeader.UDP_PORT, SourcePortPolicy.FLOW_HASH, 1, 64, 2048, 4);
    }

    public SoftDataplaneSettings withKeySlots(int n) {
        return new SoftDataplaneSettings(n, sampleLog2, ingressAcl, missQueueCapacity, udpPort, sourcePorts, workers, batchSize, bufferSize, innerIpVersion);
    }

    public SoftDataplaneSettings withSampleLog2(int n) {
        return new SoftDataplaneSettings(keySlots, n, ingressAcl, missQueueCapacity, udpPort, sourcePorts, workers, batchSize, bufferSize, innerIpVersion);
    }

    public SoftDataplaneSettings withIngressAcl(boolean on) {
        return new SoftDataplaneSettings(keySlots, sampleLog2, on, missQueueCapacity, udpPort, sourcePorts, workers, batchSize, bufferSize, innerIpVersion);
    }

    public SoftDataplaneSettings withMissQueueCapacity(int n) {
        return new SoftDataplaneSettings(keySlots, sampleLog2, ingressAcl, n, udpPort, sourcePorts, workers, batchSize, bufferSize, innerIpVersion);
    }

    public SoftDataplaneSettings withQueues(int workerThreads, int packetsPerCall, int missQueue) {
        return new SoftDataplaneSettings(keySlots, sampleLog2, ingressAcl, missQueue, udpPort, sourcePorts, workerThreads, packetsPerCall,
                bufferSize, innerIpVersion);
    }

    public SoftDataplaneSettings withInnerIpVersion(int version) {
        return new SoftDataplaneSettings(keySlots, sampleLog2, ingressAcl, missQueueCapacity, udpPort, sourcePorts, workers, batchSize,
                bufferSize, version);
    }
}
