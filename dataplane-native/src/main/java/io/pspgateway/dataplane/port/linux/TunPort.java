package io.pspgateway.dataplane.port.linux;

import io.pspgateway.dataplane.port.PacketPort;
import io.pspgateway.psp.PacketBuffer;
import io.pspgateway.psp.PspHeader;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The plain side on a Linux TUN device ({@code IFF_TUN | IFF_NO_PI}: whole IP packets, no
 * Ethernet, no packet-information prefix). Opening a name that does not exist creates a
 * non-persistent device that disappears when the port closes; opening an existing persistent
 * device attaches to it. Packets move between the device and Java arrays with no copy: the
 * descriptor is non-blocking, {@code poll} does the waiting, and read/write are critical
 * downcalls with heap access.
 *
 * <p>Native memory (the call state and {@code struct pollfd}) belongs to an automatic arena
 * owned by this object, so a worker still finishing its last poll never touches freed memory.
 */
public final class TunPort implements PacketPort {
    private static final int IFNAMSIZ = 16;
    private static final int IFREQ_SIZE = 40;

    private final String name;
    private final int fd;
    private final Arena arena = Arena.ofAuto();
    private final MemorySegment receiveState = Libc.callState(arena);
    private final MemorySegment pollfd = arena.allocate(Libc.POLLFD);
    private final ThreadLocal<MemorySegment> sendState = ThreadLocal.withInitial(() -> Libc.callState(arena));
    private volatile boolean closed;

    private TunPort(String name, int fd) {
        this.name = name;
        this.fd = fd;
    }

    /** Opens (creating when needed) the TUN device {@code name}; needs CAP_NET_ADMIN. */
    public static TunPort open(String name) throws IOException {
        byte[] ifname = name.getBytes(StandardCharsets.US_ASCII);
        if (ifname.length == 0 || ifname.length >= IFNAMSIZ) {
            throw new IllegalArgumentException("interface name must be 1.." + (IFNAMSIZ - 1) + " characters: '" + name + "'");
        }
        try (Arena setup = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(setup);
            int fd = Libc.open(state, setup.allocateFrom("/dev/net/tun"), Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
            try {
                MemorySegment ifreq = setup.allocate(IFREQ_SIZE);
                MemorySegment.copy(ifname, 0, ifreq, ValueLayout.JAVA_BYTE, 0, ifname.length);
                ifreq.set(ValueLayout.JAVA_SHORT, IFNAMSIZ, (short) (Libc.IFF_TUN | Libc.IFF_NO_PI));
                Libc.ioctl(state, fd, Libc.TUNSETIFF, ifreq);
            } catch (IOException e) {
                Libc.close(state, fd);
                throw new IOException("TUN device " + name + ": " + e.getMessage(), e);
            }
            return new TunPort(name, fd);
        }
    }

    @Override
    public int receive(PacketBuffer[] batch, long timeoutNanos) throws IOException {
        if (closed) {
            throw new IOException(name() + " is closed");
        }
        int millis = (int) Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(timeoutNanos));
        if (!Libc.pollIn(receiveState, pollfd, fd, millis)) {
            return 0;
        }
        int n = 0;
        while (n < batch.length) {
            PacketBuffer buf = batch[n];
            int room = buf.capacity() - PacketBuffer.DEFAULT_HEADROOM - PspHeader.ICV_LENGTH;
            MemorySegment into = MemorySegment.ofArray(buf.array()).asSlice(PacketBuffer.DEFAULT_HEADROOM, room);
            long got = Libc.read(receiveState, fd, into);
            if (got < 0) {
                break;
            }
            buf.setBounds(PacketBuffer.DEFAULT_HEADROOM, PacketBuffer.DEFAULT_HEADROOM + (int) got);
            n++;
        }
        return n;
    }

    @Override
    public int send(PacketBuffer[] packets, int count) throws IOException {
        if (closed) {
            throw new IOException(name() + " is closed");
        }
        MemorySegment state = sendState.get();
        for (int i = 0; i < count; i++) {
            PacketBuffer p = packets[i];
            MemorySegment from = MemorySegment.ofArray(p.array()).asSlice(p.start(), p.length());
            if (Libc.write(state, fd, from) < 0) {
                return i;
            }
        }
        return count;
    }

    @Override
    public String name() {
        return "tun " + name;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            Libc.close(Libc.callState(arena), fd);
        }
    }
}
