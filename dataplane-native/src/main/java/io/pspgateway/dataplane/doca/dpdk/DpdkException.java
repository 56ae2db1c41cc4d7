package io.pspgateway.dataplane.doca.dpdk;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/** A DPDK call that failed, with the call and what its errno means ("rte_eth_dev_configure: Invalid argument (-22)"). */
public final class DpdkException extends RuntimeException {
    private static final MethodHandle STRERROR = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("strerror").orElseThrow(), FunctionDescriptor.of(ADDRESS, JAVA_INT));

    private final int errno;

    /** {@code what} failed with {@code negativeErrno}, as the shim returns it. */
    DpdkException(String what, int negativeErrno) {
        super(what + ": " + describe(negativeErrno) + " (" + negativeErrno + ")");
        this.errno = -negativeErrno;
    }

    /** The (positive) errno of the failure. */
    public int errno() {
        return errno;
    }

    /** libc's text for {@code -negativeErrno}. */
    static String describe(int negativeErrno) {
        try {
            MemorySegment text = (MemorySegment) STRERROR.invokeExact(-negativeErrno);
            return text.equals(MemorySegment.NULL) ? "error " + -negativeErrno : text.reinterpret(256).getString(0);
        } catch (Throwable t) {
            return "error " + -negativeErrno;
        }
    }
}
