package io.pspgateway.dataplane.port.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import io.pspgateway.dataplane.port.PacketPort;
import io.pspgateway.psp.Ip;
import io.pspgateway.psp.IpText;
import io.pspgateway.psp.PacketBuffer;
import io.pspgateway.psp.PspHeader;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The secure side on a UDP socket bound to the PSP port, batched with {@code recvmmsg} and
 * {@code sendmmsg}. The kernel owns the outer IP and UDP headers, so on receive this port writes
 * a synthetic outer IP/UDP header (sender as source, our address as destination) in front of each
 * datagram, and on send it takes the destination from the sealed packet's outer header and hands
 * the kernel only what follows the UDP header. The codec sees whole IP packets either way.
 *
 * <p>Trade-off, documented in docs/dataplane.md: the kernel sends from the bound port, so the
 * outer source port does not carry the inner flow's entropy; a pool of sockets (or a raw socket)
 * would restore it at the cost of more descriptors or hand-built headers.
 *
 * <p>Datagrams come into native buffers (the kernel writes through iovecs, which cannot point
 * into the Java heap) and are copied once into the packet buffer; sends copy once the other way.
 * The receive side belongs to one thread; each sending thread gets its own scratch space.
 */
public final class UdpPort implements PacketPort {
    private static final int MMSGHDR = 64;
    private static final int IOVEC = 16;
    /** Room per address: a sockaddr_in6 (28 bytes) rounded up so every slot is 8-byte aligned. */
    private static final int SOCKADDR = 32;
    private static final int SOCKADDR_IN6_LENGTH = 28;
    private static final int MSG_TRUNC = 0x20;
    private static final int BUFFER_BYTES = 65536;
    private static final ByteOrder HOST = ByteOrder.nativeOrder();

    private final int fd;
    private final boolean ipv6;
    private final byte[] localAddress;
    private final int localPort;
    private final int batch;
    private final Arena arena = Arena.ofAuto();
    private final Scratch receive;
    private final MemorySegment receiveState = Libc.callState(arena);
    private final MemorySegment pollfd = arena.allocate(Libc.POLLFD);
    private final ThreadLocal<Scratch> send;
    private final LongAdder oversize = new LongAdder();
    private volatile boolean closed;

    /** mmsghdr array with its iovecs, sockaddr storage and data buffers. */
    private record Scratch(MemorySegment msgs, MemorySegment iovs, MemorySegment names, MemorySegment data,
                           MemorySegment state) {
        static Scratch allocate(Arena arena, int batch) {
            Scratch s = new Scratch(arena.allocate((long) MMSGHDR * batch, 8), arena.allocate((long) IOVEC * batch, 8),
                    arena.allocate((long) SOCKADDR * batch, 8), arena.allocate((long) BUFFER_BYTES * batch, 8),
                    Libc.callState(arena));
            for (int i = 0; i < batch; i++) {
                MemorySegment msg = s.msgs.asSlice((long) MMSGHDR * i, MMSGHDR);
                msg.set(ADDRESS, 0, s.names.asSlice((long) SOCKADDR * i, SOCKADDR));
                msg.set(ADDRESS, 16, s.iovs.asSlice((long) IOVEC * i, IOVEC));
                msg.set(JAVA_LONG, 24, 1L);
                s.iovs.set(ADDRESS, (long) IOVEC * i, s.data.asSlice((long) BUFFER_BYTES * i, BUFFER_BYTES));
            }
            return s;
        }
    }

    private UdpPort(int fd, boolean ipv6, byte[] localAddress, int localPort, int batch) {
        this.fd = fd;
        this.ipv6 = ipv6;
        this.localAddress = localAddress;
        this.localPort = localPort;
        this.batch = batch;
        this.receive = Scratch.allocate(arena, batch);
        this.send = ThreadLocal.withInitial(() -> Scratch.allocate(arena, batch));
    }

    /** Binds a UDP socket to {@code local} (e.g. the uplink address, port 1000); {@code batch} packets per call. */
    public static UdpPort bind(InetSocketAddress local, int batch) throws IOException {
        boolean v6 = local.getAddress() instanceof Inet6Address;
        try (Arena setup = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(setup);
            int fd = Libc.socket(state, v6 ? Libc.AF_INET6 : Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC);
            try {
                Libc.setIntOption(state, setup, fd, Libc.SOL_SOCKET, Libc.SO_REUSEADDR, 1);
                Libc.setIntOption(state, setup, fd, Libc.SOL_SOCKET, Libc.SO_RCVBUF, 4 << 20);
                Libc.setIntOption(state, setup, fd, Libc.SOL_SOCKET, Libc.SO_SNDBUF, 4 << 20);
                MemorySegment addr = setup.allocate(v6 ? SOCKADDR_IN6_LENGTH : 16, 8);
                byte[] address = local.getAddress().getAddress();
                writeSockaddr(addr, address, 0, address.length == 16, local.getPort());
                Libc.bind(state, fd, addr);
            } catch (IOException e) {
                Libc.close(state, fd);
                throw new IOException("UDP " + local + ": " + e.getMessage(), e);
            }
            return new UdpPort(fd, v6, local.getAddress().getAddress(), local.getPort(), batch);
        }
    }

    /** Writes a sockaddr_in or sockaddr_in6 for the address at {@code address[offset..]}. */
    private static void writeSockaddr(MemorySegment sa, byte[] address, int offset, boolean v6, int port) {
        sa.set(JAVA_SHORT, 0, (short) (v6 ? Libc.AF_INET6 : Libc.AF_INET));
        sa.set(JAVA_BYTE, 2, (byte) (port >>> 8));
        sa.set(JAVA_BYTE, 3, (byte) port);
        if (v6) {
            sa.set(JAVA_INT, 4, 0);
            MemorySegment.copy(address, offset, sa, JAVA_BYTE, 8, 16);
            sa.set(JAVA_INT, 24, 0);
        } else {
            MemorySegment.copy(address, offset, sa, JAVA_BYTE, 4, 4);
            sa.set(JAVA_LONG, 8, 0L);
        }
    }

    @Override
    public int receive(PacketBuffer[] into, long timeoutNanos) throws IOException {
        if (closed) {
            throw new IOException(name() + " is closed");
        }
        int millis = (int) Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(timeoutNanos));
        if (!Libc.pollIn(receiveState, pollfd, fd, millis)) {
            return 0;
        }
        int want = Math.min(batch, into.length);
        for (int i = 0; i < want; i++) {
            MemorySegment msg = receive.msgs.asSlice((long) MMSGHDR * i, MMSGHDR);
            msg.set(JAVA_INT, 8, SOCKADDR_IN6_LENGTH);
            msg.set(JAVA_INT, 48, 0);
            receive.iovs.set(JAVA_LONG, (long) IOVEC * i + 8, BUFFER_BYTES);
        }
        int got = Libc.recvmmsg(receiveState, fd, receive.msgs, want);
        int n = 0;
        for (int i = 0; i < got; i++) {
            MemorySegment msg = receive.msgs.asSlice((long) MMSGHDR * i, MMSGHDR);
            int length = msg.get(JAVA_INT, 56);
            int header = (ipv6 ? Ip.IPV6_HEADER : Ip.IPV4_MIN_HEADER) + Ip.UDP_HEADER;
            PacketBuffer buf = into[n];
            int start = PacketBuffer.DEFAULT_HEADROOM;
            if ((msg.get(JAVA_INT, 48) & MSG_TRUNC) != 0
                    || start + header + length + PspHeader.ICV_LENGTH > buf.capacity() || header + length > 0xFFFF) {
                oversize.increment();
                continue;
            }
            MemorySegment name = receive.names.asSlice((long) SOCKADDR * i, SOCKADDR);
            writeOuterHeaders(buf.array(), start, name, length);
            MemorySegment.copy(receive.data, JAVA_BYTE, (long) BUFFER_BYTES * i, buf.array(), start + header, length);
            buf.setBounds(start, start + header + length);
            n++;
        }
        return n;
    }

    /** The IP and UDP header the kernel stripped: sender to us, UDP checksum 0. */
    private void writeOuterHeaders(byte[] b, int off, MemorySegment sender, int payload) {
        int senderPort = ((sender.get(JAVA_BYTE, 2) & 0xFF) << 8) | (sender.get(JAVA_BYTE, 3) & 0xFF);
        int udp;
        if (ipv6) {
            java.util.Arrays.fill(b, off, off + Ip.IPV6_HEADER, (byte) 0);
            b[off] = 0x60;
            Ip.putU16(b, off + 4, Ip.UDP_HEADER + payload);
            b[off + 6] = Ip.PROTO_UDP;
            b[off + 7] = 64;
            MemorySegment.copy(sender, JAVA_BYTE, 8, b, off + 8, 16);
            System.arraycopy(localAddress, 0, b, off + 24, 16);
            udp = off + Ip.IPV6_HEADER;
        } else {
            java.util.Arrays.fill(b, off, off + Ip.IPV4_MIN_HEADER, (byte) 0);
            b[off] = 0x45;
            Ip.putU16(b, off + 2, Ip.IPV4_MIN_HEADER + Ip.UDP_HEADER + payload);
            b[off + 8] = 64;
            b[off + 9] = Ip.PROTO_UDP;
            MemorySegment.copy(sender, JAVA_BYTE, 4, b, off + 12, 4);
            System.arraycopy(localAddress, 0, b, off + 16, 4);
            udp = off + Ip.IPV4_MIN_HEADER;
        }
        Ip.putU16(b, udp, senderPort);
        Ip.putU16(b, udp + 2, localPort);
        Ip.putU16(b, udp + 4, Ip.UDP_HEADER + payload);
        Ip.putU16(b, udp + 6, 0);
    }

    @Override
    public int send(PacketBuffer[] packets, int count) throws IOException {
        if (closed) {
            throw new IOException(name() + " is closed");
        }
        Scratch s = send.get();
        int sent = 0;
        while (sent < count) {
            int chunk = Math.min(batch, count - sent);
            int prepared = 0;
            for (; prepared < chunk; prepared++) {
                if (!prepare(s, prepared, packets[sent + prepared])) {
                    break;
                }
            }
            if (prepared == 0) {
                return sent;
            }
            int n = Libc.sendmmsg(s.state, fd, s.msgs, prepared);
            sent += n;
            if (n < prepared) {
                return sent;
            }
        }
        return sent;
    }

    /** Fills message {@code i} from a sealed packet; false when the packet cannot go out on this socket. */
    private boolean prepare(Scratch s, int i, PacketBuffer p) {
        byte[] b = p.array();
        int l3 = p.start();
        int version = Ip.version(b, l3);
        if ((version == 6) != ipv6 || p.length() < Ip.IPV4_MIN_HEADER + Ip.UDP_HEADER) {
            return false;
        }
        int header = ipv6 ? Ip.IPV6_HEADER : Ip.ipv4HeaderLength(b, l3);
        int udp = l3 + header;
        int payload = p.end() - udp - Ip.UDP_HEADER;
        if (payload < 0 || payload > BUFFER_BYTES) {
            return false;
        }
        MemorySegment name = s.names.asSlice((long) SOCKADDR * i, SOCKADDR);
        writeSockaddr(name, b, l3 + (ipv6 ? 24 : 16), ipv6, Ip.u16(b, udp + 2));
        MemorySegment.copy(b, udp + Ip.UDP_HEADER, s.data, JAVA_BYTE, (long) BUFFER_BYTES * i, payload);
        MemorySegment msg = s.msgs.asSlice((long) MMSGHDR * i, MMSGHDR);
        msg.set(JAVA_INT, 8, ipv6 ? SOCKADDR_IN6_LENGTH : 16);
        s.iovs.set(JAVA_LONG, (long) IOVEC * i + 8, payload);
        return true;
    }

    /** Datagrams dropped on receive because they did not fit a packet buffer. */
    @Override
    public long receiveDrops() {
        return oversize.sum();
    }

    @Override
    public String name() {
        return "udp " + IpText.of(new InetSocketAddress(address(), localPort));
    }

    private java.net.InetAddress address() {
        try {
            return ipv6 ? Inet6Address.getByAddress(localAddress) : Inet4Address.getByAddress(localAddress);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            Libc.close(Libc.callState(arena), fd);
        }
    }
}
