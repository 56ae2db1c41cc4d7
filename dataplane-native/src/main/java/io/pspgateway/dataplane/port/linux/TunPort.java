package io.pspgateway.dataplane.port.linux;

import io.pspgateway.dataplane.port.OffloadCounters;
import io.pspgateway.dataplane.port.PacketPort;
import io.pspgateway.dataplane.port.offload.TcpCoalescer;
import io.pspgateway.dataplane.port.offload.TcpSegmenter;
import io.pspgateway.dataplane.port.offload.VirtioNetHeader;
import io.pspgateway.psp.PacketBuffer;
import io.pspgateway.psp.PspHeader;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The plain side on a Linux TUN device ({@code IFF_TUN | IFF_NO_PI}: whole IP packets, no
 * Ethernet, no packet-information prefix). Opening a name that does not exist creates a
 * non-persistent device that disappears when the port closes; opening an existing persistent
 * device attaches to it. The descriptor is non-blocking, {@code poll} does the waiting, and
 * read/write are critical downcalls with heap access.
 *
 * <p><b>Offloads</b> (the default; {@code open(name, false)} turns them off): the device is
 * opened with {@code IFF_VNET_HDR} and told it may hand over and take TCP super-packets with
 * partial checksums ({@code TUNSETOFFLOAD TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6}), so the host's
 * TCP stack passes up to 64 KB per read. Each read is split by a {@link TcpSegmenter} into
 * segments the data plane seals one by one; each batch written is coalesced by a
 * {@link TcpCoalescer}, so one write can carry dozens of segments. When the kernel refuses the
 * offloads at open, the port falls back to plain packets and says so; when it refuses a
 * coalesced write, coalescing is turned off for good, counted and logged, and the segments go
 * one by one. Without offloads, packets move between the device and the packet buffers with no
 * copy.
 *
 * <p>Native memory (the call state and {@code struct pollfd}) belongs to an automatic arena
 * owned by this object, so a worker still finishing its last poll never touches freed memory.
 */
public final class TunPort implements PacketPort {
    private static final Logger log = LoggerFactory.getLogger(TunPort.class);
    private static final int IFNAMSIZ = 16;
    private static final int IFREQ_SIZE = 40;

    private final String name;
    private final int fd;
    private final String offloads;
    private final Arena arena = Arena.ofAuto();
    private final MemorySegment receiveState = Libc.callState(arena);
    private final MemorySegment pollfd = arena.allocate(Libc.POLLFD);
    private final ThreadLocal<Sender> senders;
    /** Null without offloads. Belongs to the receiving thread. */
    private final TcpSegmenter segmenter;
    private final MemorySegment frameIn;
    private final LongAdder malformed = new LongAdder();
    private final LongAdder framesCoalesced = new LongAdder();
    private final LongAdder segmentsCoalesced = new LongAdder();
    private final LongAdder fallbacks = new LongAdder();
    private volatile boolean coalescing;
    private volatile boolean closed;

    /** A sending thread's own state: errno space, and with offloads the coalescer and its frame. */
    private final class Sender {
        final MemorySegment state = Libc.callState(arena);
        TcpCoalescer coalescer = new TcpCoalescer(64);
        final byte[] frame = new byte[VirtioNetHeader.LENGTH + TcpCoalescer.MAX_PACKET];
        final MemorySegment frameSegment = MemorySegment.ofArray(frame);

        TcpCoalescer coalescerFor(int count) {
            if (count > coalescer.capacity()) {
                coalescer = new TcpCoalescer(Integer.highestOneBit(count - 1) << 1);
            }
            return coalescer;
        }
    }

    private TunPort(String name, int fd, String offloads) {
        this.name = name;
        this.fd = fd;
        this.offloads = offloads;
        boolean vnet = !offloads.equals("none");
        this.segmenter = vnet ? new TcpSegmenter() : null;
        this.frameIn = vnet ? MemorySegment.ofArray(segmenter.frame()) : null;
        this.coalescing = vnet;
        this.senders = ThreadLocal.withInitial(Sender::new);
    }

    /** Opens (creating when needed) the TUN device {@code name} with offloads; needs CAP_NET_ADMIN. */
    public static TunPort open(String name) throws IOException {
        return open(name, true);
    }

    /**
     * Opens (creating when needed) the TUN device {@code name}; with {@code offloads}, asks for
     * TCP segmentation and checksum offload and falls back to plain packets when the kernel
     * refuses. Needs CAP_NET_ADMIN.
     */
    public static TunPort open(String name, boolean offloads) throws IOException {
        byte[] ifname = name.getBytes(StandardCharsets.US_ASCII);
        if (ifname.length == 0 || ifname.length >= IFNAMSIZ) {
            throw new IllegalArgumentException("interface name must be 1.." + (IFNAMSIZ - 1) + " characters: '" + name + "'");
        }
        if (offloads) {
            try {
                return openWith(name, ifname, true);
            } catch (IOException e) {
                log.warn("TUN device {}: the kernel refused offloads ({}); packets go one by one", name, e.getMessage());
            }
        }
        return openWith(name, ifname, false);
    }

    private static TunPort openWith(String name, byte[] ifname, boolean vnet) throws IOException {
        try (Arena setup = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(setup);
            int fd = Libc.open(state, setup.allocateFrom("/dev/net/tun"), Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
            try {
                MemorySegment ifreq = setup.allocate(IFREQ_SIZE);
                MemorySegment.copy(ifname, 0, ifreq, ValueLayout.JAVA_BYTE, 0, ifname.length);
                short flags = (short) (Libc.IFF_TUN | Libc.IFF_NO_PI | (vnet ? Libc.IFF_VNET_HDR : 0));
                ifreq.set(ValueLayout.JAVA_SHORT, IFNAMSIZ, flags);
                Libc.ioctl(state, fd, Libc.TUNSETIFF, ifreq);
                if (vnet) {
                    MemorySegment size = setup.allocate(ValueLayout.JAVA_INT);
                    size.set(ValueLayout.JAVA_INT, 0, VirtioNetHeader.LENGTH);
                    Libc.ioctl(state, fd, Libc.TUNSETVNETHDRSZ, size);
                    Libc.ioctlValue(state, fd, Libc.TUNSETOFFLOAD, Libc.TUN_F_CSUM | Libc.TUN_F_TSO4 | Libc.TUN_F_TSO6);
                }
            } catch (IOException e) {
                Libc.close(state, fd);
                throw new IOException("TUN device " + name + ": " + e.getMessage(), e);
            }
            return new TunPort(name, fd, vnet ? "csum tso4 tso6 (virtio header), receive coalescing" : "none");
        }
    }

    @Override
    public int receive(PacketBuffer[] batch, long timeoutNanos) throws IOException {
        if (closed) {
            throw new IOException(name() + " is closed");
        }
        boolean continuing = segmenter != null && segmenter.hasMore();
        int millis = (int) Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(timeoutNanos));
        if (!continuing && !Libc.pollIn(receiveState, pollfd, fd, millis)) {
            return 0;
        }
        return segmenter == null ? receivePlain(batch) : receiveFrames(batch);
    }

    private int receivePlain(PacketBuffer[] batch) throws IOException {
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

    /** Reads frames and splits them until the batch is full; a super-packet larger than the batch continues next time. */
    private int receiveFrames(PacketBuffer[] batch) throws IOException {
        int n = 0;
        while (n < batch.length) {
            if (segmenter.hasMore()) {
                n = segmenter.emit(batch, n);
                continue;
            }
            long got = Libc.read(receiveState, fd, frameIn);
            if (got < 0) {
                break;
            }
            if (!segmenter.load((int) got, batch[n].capacity())) {
                malformed.increment();
            }
        }
        return n;
    }

    @Override
    public int send(PacketBuffer[] packets, int count) throws IOException {
        if (closed) {
            throw new IOException(name() + " is closed");
        }
        Sender s = senders.get();
        if (segmenter == null) {
            for (int i = 0; i < count; i++) {
                if (Libc.write(s.state, fd, slice(packets[i], 0)) < 0) {
                    return i;
                }
            }
            return count;
        }
        if (!coalescing) {
            return sendOneByOne(s, packets, count);
        }
        TcpCoalescer coalescer = s.coalescerFor(count);
        int groups = coalescer.plan(packets, count);
        int sent = 0;
        for (int g = 0; g < groups; g++) {
            int members = coalescer.members(g);
            boolean ok;
            if (members == 1) {
                ok = writeSingle(s, packets[coalescer.first(g)]);
            } else {
                ok = writeCoalesced(s, coalescer, g, packets);
            }
            if (!ok) {
                return sent;
            }
            sent += members;
        }
        return sent;
    }

    private boolean writeCoalesced(Sender s, TcpCoalescer coalescer, int g, PacketBuffer[] packets) throws IOException {
        int length = coalescer.frame(g, packets, s.frame);
        try {
            if (Libc.write(s.state, fd, s.frameSegment.asSlice(0, length)) < 0) {
                return false;
            }
        } catch (Libc.NativeIOException e) {
            if (e.errno() != Libc.EINVAL) {
                throw e;
            }
            coalescing = false;
            fallbacks.increment();
            log.warn("{}: the kernel refused a coalesced write ({}); coalescing is off, segments go one by one", name(),
                    e.getMessage());
            for (int i = coalescer.first(g); i >= 0; i = coalescer.nextMember(i)) {
                if (!writeSingle(s, packets[i])) {
                    return false;
                }
            }
            return true;
        }
        framesCoalesced.increment();
        segmentsCoalesced.add(coalescer.members(g));
        return true;
    }

    private int sendOneByOne(Sender s, PacketBuffer[] packets, int count) throws IOException {
        for (int i = 0; i < count; i++) {
            if (!writeSingle(s, packets[i])) {
                return i;
            }
        }
        return count;
    }

    /** One packet behind a "nothing to do" virtio header, written in the headroom when there is room. */
    private boolean writeSingle(Sender s, PacketBuffer p) throws IOException {
        MemorySegment from;
        if (p.start() >= VirtioNetHeader.LENGTH) {
            VirtioNetHeader.writePlain(p.array(), p.start() - VirtioNetHeader.LENGTH);
            from = slice(p, VirtioNetHeader.LENGTH);
        } else {
            VirtioNetHeader.writePlain(s.frame, 0);
            System.arraycopy(p.array(), p.start(), s.frame, VirtioNetHeader.LENGTH, p.length());
            from = s.frameSegment.asSlice(0, VirtioNetHeader.LENGTH + p.length());
        }
        return Libc.write(s.state, fd, from) >= 0;
    }

    private static MemorySegment slice(PacketBuffer p, int before) {
        return MemorySegment.ofArray(p.array()).asSlice(p.start() - before, p.length() + before);
    }

    /** Frames the device handed over that could not be split (malformed or too big for a buffer). */
    @Override
    public long receiveDrops() {
        return malformed.sum();
    }

    @Override
    public OffloadCounters offloadCounters() {
        if (segmenter == null) {
            return OffloadCounters.NONE;
        }
        return new OffloadCounters(segmenter.superPackets(), segmenter.segments(), framesCoalesced.sum(),
                segmentsCoalesced.sum(), 0, 0, 0, 0, fallbacks.sum());
    }

    @Override
    public String offloads() {
        return coalescing || segmenter == null ? offloads : offloads.replace(", receive coalescing", "");
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
