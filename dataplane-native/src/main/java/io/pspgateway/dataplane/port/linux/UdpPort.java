package io.pspgateway.dataplane.port.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import io.pspgateway.dataplane.port.OffloadCounters;
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
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * <p><b>Offloads</b> (the default; {@code bind(local, batch, false)} turns them off): UDP GSO on
 * send ({@code UDP_SEGMENT}: consecutive sealed packets to one peer of one size leave in one
 * message the kernel splits, turned off for good when the kernel answers EIO or EINVAL), UDP GRO
 * on receive ({@code UDP_GRO}: one message returns a train of datagrams of one size, opened here
 * datagram by datagram; a train larger than the caller's batch continues in the next receive),
 * socket buffers of 4 MB (forced past {@code rmem_max}/{@code wmem_max} where allowed) and
 * {@code IP_PMTUDISC_DO}, so a datagram too big for the path is refused (counted) instead of
 * fragmented. GRO trains arrive only when the receiving device does GRO ({@code ethtool -K DEV gro
 * on}; a fresh veth has it off).
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
    /** Room for one control message with an int: CMSG_SPACE(4) = 24, rounded up. */
    private static final int CONTROL = 32;
    private static final int CMSG_HEADER = 16;
    /** The most datagrams one GSO send carries (the kernel's UDP_MAX_SEGMENTS on older kernels). */
    private static final int GSO_MAX_SEGMENTS = 64;
    /** The most payload bytes one GSO send carries: a UDP length must fit 16 bits. */
    private static final int GSO_MAX_BYTES = 65000;
    private static final int SOCKET_BUFFER = 4 << 20;
    private static final Logger log = LoggerFactory.getLogger(UdpPort.class);
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
    private final LongAdder tooBigToSend = new LongAdder();
    private final LongAdder gsoSends = new LongAdder();
    private final LongAdder gsoDatagrams = new LongAdder();
    private final LongAdder groTrains = new LongAdder();
    private final LongAdder groDatagrams = new LongAdder();
    private final LongAdder fallbacks = new LongAdder();
    private final boolean gro;
    private volatile boolean gso;
    /** Messages of the last recvmmsg not yet handed out (a GRO train can outlast a batch): receive thread only. */
    private int receivedMessages;
    private int cursorMessage;
    private int cursorOffset;
    private volatile boolean closed;

    /**
     * mmsghdr array with its iovecs, sockaddr storage, control space and data buffers, and how
     * many packets each message carries.
     */
    private record Scratch(MemorySegment msgs, MemorySegment iovs, MemorySegment names, MemorySegment controls,
                           MemorySegment data, MemorySegment state, int[] packetsIn) {
        static Scratch allocate(Arena arena, int batch) {
            Scratch s = new Scratch(arena.allocate((long) MMSGHDR * batch, 8), arena.allocate((long) IOVEC * batch, 8),
                    arena.allocate((long) SOCKADDR * batch, 8), arena.allocate((long) CONTROL * batch, 8),
                    arena.allocate((long) BUFFER_BYTES * batch, 8), Libc.callState(arena), new int[batch]);
            for (int i = 0; i < batch; i++) {
                MemorySegment msg = s.msgs.asSlice((long) MMSGHDR * i, MMSGHDR);
                msg.set(ADDRESS, 0, s.names.asSlice((long) SOCKADDR * i, SOCKADDR));
                msg.set(ADDRESS, 16, s.iovs.asSlice((long) IOVEC * i, IOVEC));
                msg.set(JAVA_LONG, 24, 1L);
                s.iovs.set(ADDRESS, (long) IOVEC * i, s.data.asSlice((long) BUFFER_BYTES * i, BUFFER_BYTES));
            }
            return s;
        }

        MemorySegment control(int i) {
            return controls.asSlice((long) CONTROL * i, CONTROL);
        }
    }

    private UdpPort(int fd, boolean ipv6, byte[] localAddress, int localPort, int batch, boolean gso, boolean gro) {
        this.gso = gso;
        this.gro = gro;
        this.fd = fd;
        this.ipv6 = ipv6;
        this.localAddress = localAddress;
        this.localPort = localPort;
        this.batch = batch;
        this.receive = Scratch.allocate(arena, batch);
        this.send = ThreadLocal.withInitial(() -> Scratch.allocate(arena, batch));
    }

    /** Binds a UDP socket to {@code local} with offloads; {@code batch} messages per call. */
    public static UdpPort bind(InetSocketAddress local, int batch) throws IOException {
        return bind(local, batch, true);
    }

    /**
     * Binds a UDP socket to {@code local} (e.g. the uplink address, port 1000); {@code batch}
     * messages per call. With {@code offloads}, GSO and GRO are turned on where the kernel has
     * them (each probed on its own; what is missing is logged and left off).
     */
    public static UdpPort bind(InetSocketAddress local, int batch, boolean offloads) throws IOException {
        boolean v6 = local.getAddress() instanceof Inet6Address;
        try (Arena setup = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(setup);
            int fd = Libc.socket(state, v6 ? Libc.AF_INET6 : Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC);
            boolean gso = false;
            boolean gro = false;
            try {
                Libc.setIntOption(state, setup, fd, Libc.SOL_SOCKET, Libc.SO_REUSEADDR, 1);
                socketBuffer(state, setup, fd, Libc.SO_RCVBUFFORCE, Libc.SO_RCVBUF);
                socketBuffer(state, setup, fd, Libc.SO_SNDBUFFORCE, Libc.SO_SNDBUF);
                if (offloads) {
                    Libc.setIntOption(state, setup, fd, v6 ? Libc.IPPROTO_IPV6 : Libc.IPPROTO_IP,
                            v6 ? Libc.IPV6_MTU_DISCOVER : Libc.IP_MTU_DISCOVER, Libc.IP_PMTUDISC_DO);
                    gso = probe(state, setup, fd, Libc.UDP_SEGMENT, 0, "GSO", local);
                    gro = probe(state, setup, fd, Libc.UDP_GRO, 1, "GRO", local);
                }
                MemorySegment addr = setup.allocate(v6 ? SOCKADDR_IN6_LENGTH : 16, 8);
                byte[] address = local.getAddress().getAddress();
                writeSockaddr(addr, address, 0, address.length == 16, local.getPort());
                Libc.bind(state, fd, addr);
            } catch (IOException e) {
                Libc.close(state, fd);
                throw new IOException("UDP " + local + ": " + e.getMessage(), e);
            }
            return new UdpPort(fd, v6, local.getAddress().getAddress(), local.getPort(), batch, gso, gro);
        }
    }

    /** Asks for the large buffer past the system's maximum (needs CAP_NET_ADMIN), else within it. */
    private static void socketBuffer(MemorySegment state, Arena setup, int fd, int forced, int plain) throws IOException {
        try {
            Libc.setIntOption(state, setup, fd, Libc.SOL_SOCKET, forced, SOCKET_BUFFER);
        } catch (IOException e) {
            Libc.setIntOption(state, setup, fd, Libc.SOL_SOCKET, plain, SOCKET_BUFFER);
        }
    }

    private static boolean probe(MemorySegment state, Arena setup, int fd, int option, int value, String what,
                                 InetSocketAddress local) {
        try {
            Libc.setIntOption(state, setup, fd, Libc.SOL_UDP, option, value);
            return true;
        } catch (IOException e) {
            log.warn("UDP {}: the kernel has no UDP {} ({}); left off", local, what, e.getMessage());
            return false;
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
        if (cursorMessage >= receivedMessages) {
            int millis = (int) Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(timeoutNanos));
            if (!Libc.pollIn(receiveState, pollfd, fd, millis)) {
                return 0;
            }
            int want = Math.min(batch, into.length);
            for (int i = 0; i < want; i++) {
                MemorySegment msg = receive.msgs.asSlice((long) MMSGHDR * i, MMSGHDR);
                msg.set(JAVA_INT, 8, SOCKADDR_IN6_LENGTH);
                msg.set(ADDRESS, 32, gro ? receive.control(i) : MemorySegment.NULL);
                msg.set(JAVA_LONG, 40, gro ? CONTROL : 0L);
                msg.set(JAVA_INT, 48, 0);
                receive.iovs.set(JAVA_LONG, (long) IOVEC * i + 8, BUFFER_BYTES);
            }
            receivedMessages = Libc.recvmmsg(receiveState, fd, receive.msgs, want);
            cursorMessage = 0;
            cursorOffset = 0;
        }
        return open(into);
    }

    /** Hands out the received datagrams (a GRO train datagram by datagram) until {@code into} is full. */
    private int open(PacketBuffer[] into) {
        int header = (ipv6 ? Ip.IPV6_HEADER : Ip.IPV4_MIN_HEADER) + Ip.UDP_HEADER;
        int start = PacketBuffer.DEFAULT_HEADROOM;
        int n = 0;
        while (n < into.length && cursorMessage < receivedMessages) {
            MemorySegment msg = receive.msgs.asSlice((long) MMSGHDR * cursorMessage, MMSGHDR);
            int length = msg.get(JAVA_INT, 56);
            if ((msg.get(JAVA_INT, 48) & MSG_TRUNC) != 0) {
                oversize.increment();
                nextMessage();
                continue;
            }
            int segment = gro ? groSegmentSize(msg, length) : length;
            if (cursorOffset == 0 && segment < length) {
                groTrains.increment();
                groDatagrams.add((length + segment - 1) / segment);
            }
            int payload = Math.min(segment, length - cursorOffset);
            PacketBuffer buf = into[n];
            if (start + header + payload + PspHeader.ICV_LENGTH > buf.capacity() || header + payload > 0xFFFF) {
                oversize.increment();
            } else {
                MemorySegment name = receive.names.asSlice((long) SOCKADDR * cursorMessage, SOCKADDR);
                writeOuterHeaders(buf.array(), start, name, payload);
                MemorySegment.copy(receive.data, JAVA_BYTE, (long) BUFFER_BYTES * cursorMessage + cursorOffset, buf.array(),
                        start + header, payload);
                buf.setBounds(start, start + header + payload);
                n++;
            }
            cursorOffset += payload;
            if (cursorOffset >= length) {
                nextMessage();
            }
        }
        return n;
    }

    private void nextMessage() {
        cursorMessage++;
        cursorOffset = 0;
    }

    /** The segment size of a GRO train from its control message, or the whole length for a single datagram. */
    private int groSegmentSize(MemorySegment msg, int length) {
        long controlLength = msg.get(JAVA_LONG, 40);
        MemorySegment control = receive.control(cursorMessage);
        for (long at = 0; at + CMSG_HEADER + 4 <= controlLength; ) {
            long cmsgLength = control.get(JAVA_LONG, at);
            if (cmsgLength < CMSG_HEADER || at + cmsgLength > controlLength) {
                break;
            }
            if (control.get(JAVA_INT, at + 8) == Libc.SOL_UDP && control.get(JAVA_INT, at + 12) == Libc.UDP_GRO) {
                int size = control.get(JAVA_INT, at + CMSG_HEADER);
                return size > 0 ? Math.min(size, Math.max(length, 1)) : Math.max(length, 1);
            }
            at += (cmsgLength + 7) & ~7L;
        }
        return Math.max(length, 1);
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
            int messages = 0;
            int next = sent;
            boolean trains = false;
            while (messages < batch && next < count) {
                int took = prepare(s, messages, packets, next, count);
                if (took == 0) {
                    break;
                }
                trains |= took > 1;
                s.packetsIn[messages++] = took;
                next += took;
            }
            if (messages == 0) {
                return sent;
            }
            int n;
            try {
                n = Libc.sendmmsg(s.state, fd, s.msgs, messages);
            } catch (Libc.NativeIOException e) {
                if (trains && (e.errno() == Libc.EIO || e.errno() == Libc.EINVAL)) {
                    gso = false;
                    fallbacks.increment();
                    log.warn("{}: the kernel refused a UDP GSO send ({}); GSO is off, datagrams go one by one", name(),
                            e.getMessage());
                    continue;
                }
                if (e.errno() != Libc.EMSGSIZE) {
                    throw e;
                }
                // larger than the path MTU (IP_PMTUDISC_DO): refused, counted, and the rest goes on
                tooBigToSend.add(s.packetsIn[0]);
                sent += s.packetsIn[0];
                continue;
            }
            if (n == 0) {
                return sent;
            }
            for (int i = 0; i < n; i++) {
                if (s.packetsIn[i] > 1) {
                    gsoSends.increment();
                    gsoDatagrams.add(s.packetsIn[i]);
                }
                sent += s.packetsIn[i];
            }
        }
        return sent;
    }

    /**
     * Fills message {@code m} from {@code packets[from]} and, with GSO, the packets after it that
     * go to the same peer with the same length (a shorter one ends the train); returns how many
     * it took, 0 when the first cannot go out on this socket.
     */
    private int prepare(Scratch s, int m, PacketBuffer[] packets, int from, int count) {
        PacketBuffer first = packets[from];
        int payload = udpPayload(first);
        if (payload < 0) {
            return 0;
        }
        byte[] b = first.array();
        int l3 = first.start();
        int udp = udpHeaderAt(first);
        MemorySegment name = s.names.asSlice((long) SOCKADDR * m, SOCKADDR);
        writeSockaddr(name, b, l3 + (ipv6 ? 24 : 16), ipv6, Ip.u16(b, udp + 2));
        long data = (long) BUFFER_BYTES * m;
        MemorySegment.copy(b, udp + Ip.UDP_HEADER, s.data, JAVA_BYTE, data, payload);
        int took = 1;
        int total = payload;
        if (gso) {
            while (from + took < count && took < GSO_MAX_SEGMENTS) {
                PacketBuffer p = packets[from + took];
                int length = udpPayload(p);
                if (length <= 0 || length > payload || total + length > GSO_MAX_BYTES || !samePeer(first, p)) {
                    break;
                }
                MemorySegment.copy(p.array(), udpHeaderAt(p) + Ip.UDP_HEADER, s.data, JAVA_BYTE, data + total, length);
                total += length;
                took++;
                if (length < payload) {
                    break;
                }
            }
        }
        MemorySegment msg = s.msgs.asSlice((long) MMSGHDR * m, MMSGHDR);
        msg.set(JAVA_INT, 8, ipv6 ? SOCKADDR_IN6_LENGTH : 16);
        if (took > 1) {
            MemorySegment control = s.control(m);
            control.set(JAVA_LONG, 0, CMSG_HEADER + 2);
            control.set(JAVA_INT, 8, Libc.SOL_UDP);
            control.set(JAVA_INT, 12, Libc.UDP_SEGMENT);
            control.set(JAVA_SHORT, CMSG_HEADER, (short) payload);
            msg.set(ADDRESS, 32, control);
            msg.set(JAVA_LONG, 40, CMSG_HEADER + 8);
        } else {
            msg.set(ADDRESS, 32, MemorySegment.NULL);
            msg.set(JAVA_LONG, 40, 0L);
        }
        s.iovs.set(JAVA_LONG, (long) IOVEC * m + 8, total);
        return took;
    }

    /** The UDP payload length of a sealed packet this socket can send, or -1. */
    private int udpPayload(PacketBuffer p) {
        byte[] b = p.array();
        if (p.length() < Ip.IPV4_MIN_HEADER + Ip.UDP_HEADER || (Ip.version(b, p.start()) == 6) != ipv6) {
            return -1;
        }
        int payload = p.end() - udpHeaderAt(p) - Ip.UDP_HEADER;
        return payload < 0 || payload > BUFFER_BYTES ? -1 : payload;
    }

    private int udpHeaderAt(PacketBuffer p) {
        return p.start() + (ipv6 ? Ip.IPV6_HEADER : Ip.ipv4HeaderLength(p.array(), p.start()));
    }

    /** Same destination address and port. */
    private boolean samePeer(PacketBuffer a, PacketBuffer b) {
        int at = ipv6 ? 24 : 16;
        int length = ipv6 ? 16 : 4;
        return Arrays.equals(a.array(), a.start() + at, a.start() + at + length, b.array(), b.start() + at, b.start() + at + length)
                && Ip.u16(a.array(), udpHeaderAt(a) + 2) == Ip.u16(b.array(), udpHeaderAt(b) + 2);
    }

    /** Sealed packets refused because they were larger than the path MTU. */
    @Override
    public long sendDrops() {
        return tooBigToSend.sum();
    }

    @Override
    public OffloadCounters offloadCounters() {
        return new OffloadCounters(0, 0, 0, 0, gsoSends.sum(), gsoDatagrams.sum(), groTrains.sum(), groDatagrams.sum(),
                fallbacks.sum());
    }

    @Override
    public String offloads() {
        String on = (gso ? "gso " : "") + (gro ? "gro " : "");
        return on.isEmpty() ? "none" : on.trim();
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
