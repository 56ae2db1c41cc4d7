package io.pspgateway.dataplane.soft;

import io.pspgateway.dataplane.Backend;
import io.pspgateway.dataplane.DataplaneInspection;
import io.pspgateway.dataplane.DataplaneOps;
import io.pspgateway.dataplane.port.linux.TunPort;
import io.pspgateway.dataplane.port.linux.UdpPort;
import io.pspgateway.psp.IpText;
import java.io.IOException;
import java.net.InetSocketAddress;

/** The soft backend on a host: a TUN device towards the workloads, a UDP socket towards the peers. */
public final class SoftBackend implements Backend {
    private final SoftDataplane dataplane;
    private final String description;

    private SoftBackend(SoftDataplane dataplane, String description) {
        this.dataplane = dataplane;
        this.description = description;
    }

    /**
     * Creates (or attaches to) TUN device {@code tunName}, binds PSP's UDP socket on {@code psp} and
     * starts the soft data plane on them, with the kernel's offloads where it has them when
     * {@code offloads} is set. Nothing stays open when it fails.
     */
    public static SoftBackend open(SoftDataplaneSettings settings, String tunName, InetSocketAddress psp, boolean offloads)
            throws IOException {
        TunPort tun = TunPort.open(tunName, offloads);
        UdpPort udp;
        try {
            udp = UdpPort.bind(psp, settings.batchSize(), offloads);
        } catch (IOException | RuntimeException e) {
            tun.close();
            throw e;
        }
        SoftDataplane dataplane = new SoftDataplane(settings, tun, udp);
        dataplane.start();
        return new SoftBackend(dataplane, "soft data plane: TUN " + tunName + " (offloads: " + tun.offloads() + "), PSP on udp "
                + IpText.of(psp) + " (offloads: " + udp.offloads() + ")");
    }

    @Override
    public DataplaneOps ops() {
        return dataplane;
    }

    @Override
    public DataplaneInspection inspection() {
        return dataplane;
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public void close() {
        dataplane.close();
    }
}
