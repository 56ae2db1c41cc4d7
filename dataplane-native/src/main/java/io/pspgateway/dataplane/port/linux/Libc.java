package io.pspgateway.dataplane.port.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The libc functions the Linux ports call through FFM — this list is their whole allowlist; the
 * only other native symbols the project binds are DOCA's, on their own allowlist
 * ({@code io.pspgateway.dataplane.doca.DocaSymbol}). Every call that can fail captures
 * {@code errno} and turns a -1 into an {@link IOException} naming the call and the error.
 *
 * <p>{@code read}, {@code write}, {@code recvmmsg} and {@code sendmmsg} are only ever called on
 * non-blocking descriptors; the ports wait with {@code poll}, which may block and is therefore
 * an ordinary (non-critical) downcall. {@code read} and {@code write} are bound as critical
 * calls with heap access, so they move bytes straight into and out of Java arrays.
 */
final class Libc {
    static final int O_RDWR = 0x2;
    static final int O_RDONLY = 0x0;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    static final int SOCK_DGRAM = 2;
    static final int SOCK_NONBLOCK = 0x800;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int SOL_SOCKET = 1;
    static final int SO_RCVBUF = 8;
    static final int SO_SNDBUF = 7;
    static final int SO_REUSEADDR = 2;
    static final int POLLIN = 0x1;
    static final int EAGAIN = 11;
    static final int EINTR = 4;
    static final int CLONE_NEWNET = 0x40000000;
    static final long TUNSETIFF = 0x400454caL;
    static final short IFF_TUN = 0x0001;
    static final short IFF_NO_PI = 0x1000;
    static final short IFF_VNET_HDR = 0x4000;
    static final long TUNSETOFFLOAD = 0x400454d0L;
    static final long TUNSETVNETHDRSZ = 0x400454d8L;
    static final int TUN_F_CSUM = 0x01;
    static final int TUN_F_TSO4 = 0x02;
    static final int TUN_F_TSO6 = 0x04;
    static final int SOL_UDP = 17;
    static final int UDP_SEGMENT = 103;
    static final int UDP_GRO = 104;
    static final int IPPROTO_IP = 0;
    static final int IPPROTO_IPV6 = 41;
    static final int IP_MTU_DISCOVER = 10;
    static final int IPV6_MTU_DISCOVER = 23;
    static final int IP_PMTUDISC_DO = 2;
    static final int SO_SNDBUFFORCE = 32;
    static final int SO_RCVBUFFORCE = 33;
    static final int EIO = 5;
    static final int EINVAL = 22;
    static final int EMSGSIZE = 90;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option ERRNO_OPTION = Linker.Option.captureCallState("errno");

    private static final MethodHandle OPEN = bind("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), false);
    private static final MethodHandle CLOSE = bind("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), false);
    /** ioctl is variadic: its third argument is a pointer for most requests, a value for some (TUNSETOFFLOAD). */
    private static final MethodHandle IOCTL = bindVariadic("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle IOCTL_VALUE = bindVariadic("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle READ = bind("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), true);
    private static final MethodHandle WRITE = bind("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), true);
    private static final MethodHandle POLL = bind("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), false);
    private static final MethodHandle SOCKET = bind("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), false);
    private static final MethodHandle BIND = bind("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), false);
    private static final MethodHandle SETSOCKOPT = bind("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), false);
    private static final MethodHandle RECVMMSG = bind("recvmmsg",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS), false);
    private static final MethodHandle SENDMMSG = bind("sendmmsg",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), false);
    private static final MethodHandle SETNS = bind("setns", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), false);
    private static final MethodHandle STRERROR = LINKER.downcallHandle(LINKER.defaultLookup().find("strerror").orElseThrow(),
            FunctionDescriptor.of(ADDRESS, JAVA_INT));

    /** struct pollfd { int fd; short events; short revents; } */
    static final StructLayout POLLFD = MemoryLayout.structLayout(JAVA_INT.withName("fd"), JAVA_SHORT.withName("events"),
            JAVA_SHORT.withName("revents"));

    private Libc() {
    }

    private static MethodHandle bind(String name, FunctionDescriptor fd, boolean critical) {
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
        return critical
                ? LINKER.downcallHandle(symbol, fd, ERRNO_OPTION, Linker.Option.critical(true))
                : LINKER.downcallHandle(symbol, fd, ERRNO_OPTION);
    }

    private static MethodHandle bindVariadic(String name, FunctionDescriptor fd) {
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
        return LINKER.downcallHandle(symbol, fd, ERRNO_OPTION, Linker.Option.firstVariadicArg(2));
    }

    /** Per-thread space for the captured errno. */
    static MemorySegment callState(Arena arena) {
        return arena.allocate(CALL_STATE);
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            return s.reinterpret(256).getString(0);
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    private static IOException failure(String call, MemorySegment state) {
        int e = errno(state);
        return new NativeIOException(call + ": " + strerror(e) + " (errno " + e + ")", e);
    }

    /** An I/O failure of a libc call, with its errno. */
    static final class NativeIOException extends IOException {
        private final int errno;

        NativeIOException(String message, int errno) {
            super(message);
            this.errno = errno;
        }

        int errno() {
            return errno;
        }
    }

    /** A set-up call (not on the packet path): returns its result, or -1 with errno in the call state. */
    @FunctionalInterface
    private interface SetupCall {
        int invoke() throws Throwable;
    }

    private static int setup(String call, MemorySegment state, SetupCall c) throws IOException {
        int rc;
        try {
            rc = c.invoke();
        } catch (Throwable t) {
            throw new IllegalStateException("native call " + call + " failed to link or run", t);
        }
        return check(call, rc, state);
    }

    private static int check(String call, int rc, MemorySegment state) throws IOException {
        if (rc < 0) {
            throw failure(call, state);
        }
        return rc;
    }

    static int open(MemorySegment state, MemorySegment path, int flags) throws IOException {
        return setup("open", state, () -> (int) OPEN.invokeExact(state, path, flags));
    }

    static void close(MemorySegment state, int fd) {
        try {
            setup("close", state, () -> (int) CLOSE.invokeExact(state, fd));
        } catch (IOException e) {
            // nothing useful to do about a failed close; the descriptor is gone either way
        }
    }

    static int ioctl(MemorySegment state, int fd, long request, MemorySegment arg) throws IOException {
        return setup("ioctl", state, () -> (int) IOCTL.invokeExact(state, fd, request, arg));
    }

    /** ioctl(2) whose argument is a value, not a pointer. */
    static int ioctlValue(MemorySegment state, int fd, long request, long value) throws IOException {
        return setup("ioctl", state, () -> (int) IOCTL_VALUE.invokeExact(state, fd, request, value));
    }

    /** read(2) into a (heap or native) segment; returns bytes read, or -1 when it would block. */
    static long read(MemorySegment state, int fd, MemorySegment into) throws IOException {
        try {
            long n = (long) READ.invokeExact(state, fd, into, into.byteSize());
            if (n < 0 && errno(state) == EAGAIN) {
                return -1;
            }
            return n < 0 ? check("read", -1, state) : n;
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** write(2) from a (heap or native) segment; returns bytes written, or -1 when it would block. */
    static long write(MemorySegment state, int fd, MemorySegment from) throws IOException {
        try {
            long n = (long) WRITE.invokeExact(state, fd, from, from.byteSize());
            if (n < 0 && errno(state) == EAGAIN) {
                return -1;
            }
            return n < 0 ? check("write", -1, state) : n;
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** poll(2) on one pollfd; returns true when it is readable, false on timeout or EINTR. */
    static boolean pollIn(MemorySegment state, MemorySegment pollfd, int fd, int timeoutMillis) throws IOException {
        pollfd.set(JAVA_INT, 0, fd);
        pollfd.set(JAVA_SHORT, 4, (short) POLLIN);
        pollfd.set(JAVA_SHORT, 6, (short) 0);
        try {
            int rc = (int) POLL.invokeExact(state, pollfd, 1L, timeoutMillis);
            if (rc < 0 && errno(state) == EINTR) {
                return false;
            }
            return check("poll", rc, state) > 0;
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static int socket(MemorySegment state, int domain, int type) throws IOException {
        return setup("socket", state, () -> (int) SOCKET.invokeExact(state, domain, type, 0));
    }

    static void bind(MemorySegment state, int fd, MemorySegment sockaddr) throws IOException {
        setup("bind", state, () -> (int) BIND.invokeExact(state, fd, sockaddr, (int) sockaddr.byteSize()));
    }

    static void setIntOption(MemorySegment state, Arena arena, int fd, int level, int option, int value) throws IOException {
        MemorySegment v = arena.allocate(JAVA_INT);
        v.set(JAVA_INT, 0, value);
        setup("setsockopt", state, () -> (int) SETSOCKOPT.invokeExact(state, fd, level, option, v, 4));
    }

    /** recvmmsg(2), non-blocking; returns messages received, 0 when none are waiting. */
    static int recvmmsg(MemorySegment state, int fd, MemorySegment msgvec, int vlen) throws IOException {
        try {
            int n = (int) RECVMMSG.invokeExact(state, fd, msgvec, vlen, 0, MemorySegment.NULL);
            if (n < 0 && errno(state) == EAGAIN) {
                return 0;
            }
            return check("recvmmsg", n, state);
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** sendmmsg(2), non-blocking; returns messages sent, 0 when the socket buffer is full. */
    static int sendmmsg(MemorySegment state, int fd, MemorySegment msgvec, int vlen) throws IOException {
        try {
            int n = (int) SENDMMSG.invokeExact(state, fd, msgvec, vlen, 0);
            if (n < 0 && errno(state) == EAGAIN) {
                return 0;
            }
            return check("sendmmsg", n, state);
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static void setns(MemorySegment state, int fd, int nstype) throws IOException {
        setup("setns", state, () -> (int) SETNS.invokeExact(state, fd, nstype));
    }
}
