package io.pspgateway.dataplane.port;

import io.pspgateway.psp.Ip;
import io.pspgateway.psp.IpText;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * An in-memory L3 network for secure ports: each gateway attaches at its physical address and
 * gets a {@link MemoryPort}; a forwarding thread delivers every packet a port sends to the port
 * attached at the packet's outer destination address. Packets to nobody are counted. With it,
 * any number of gateways run in one process, as with wireguard-go's in-memory bind.
 */
public final class MemoryNetwork implements AutoCloseable {
    private static final int QUEUE = 65536;

    private final Map<InetAddress, MemoryPort> wireEnds = new ConcurrentHashMap<>();
    private final LongAdder unroutable = new LongAdder();
    private final Thread forwarder;
    private volatile boolean running = true;

    public MemoryNetwork() {
        forwarder = Thread.ofPlatform().name("memory-network").daemon(true).start(this::forward);
    }

    /** A secure port for the gateway whose physical address is {@code address}. */
    public MemoryPort attach(InetAddress address) {
        MemoryPort[] link = MemoryPort.link("net@" + IpText.of(address), "secure@" + IpText.of(address), QUEUE);
        if (wireEnds.putIfAbsent(address, link[0]) != null) {
            throw new IllegalArgumentException(IpText.of(address) + " is already attached");
        }
        return link[1];
    }

    /** Detaches a gateway: its packets, and packets to it, go nowhere (counted as unroutable). */
    public void detach(InetAddress address) {
        wireEnds.remove(address);
    }

    /** Packets sent to an address nobody is attached at. */
    public long unroutable() {
        return unroutable.sum();
    }

    private void forward() {
        while (running) {
            boolean moved = false;
            for (MemoryPort end : wireEnds.values()) {
                byte[] p;
                while ((p = end.poll()) != null) {
                    moved = true;
                    MemoryPort to = wireEnds.get(destination(p));
                    if (to == null || !to.send(p)) {
                        unroutable.increment();
                    }
                }
            }
            if (!moved) {
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(50));
            }
        }
    }

    private static InetAddress destination(byte[] p) {
        try {
            if (p.length >= Ip.IPV6_HEADER && Ip.version(p, 0) == 6) {
                return InetAddress.getByAddress(java.util.Arrays.copyOfRange(p, 24, 40));
            }
            if (p.length >= Ip.IPV4_MIN_HEADER && Ip.version(p, 0) == 4) {
                return InetAddress.getByAddress(java.util.Arrays.copyOfRange(p, 16, 20));
            }
        } catch (UnknownHostException e) {
            // cannot happen for 4- or 16-byte arrays
        }
        return null;
    }

    @Override
    public void close() {
        running = false;
        try {
            forwarder.join(TimeUnit.SECONDS.toMillis(2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
