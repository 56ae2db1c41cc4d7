package io.pspgateway.dataplane.doca.dpdk;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import io.pspgateway.dataplane.doca.DocaUnavailableException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The bindings of {@code libpspgw_dpdk.so} (src/main/c/pspgw_dpdk.c), the slow path's only door
 * to DPDK: one downcall handle per shim function, every one on this allowlist and resolved up
 * front, so a shim that lacks one is refused before anything is called. The shim takes and
 * returns scalars and flat buffers only, and returns a negative errno on failure.
 *
 * <p>The library is loaded in the global arena: DPDK's EAL initialises once per process and its
 * threads run DPDK's code until the process ends, so the shim (and DPDK under it) is never
 * unloaded. No handle is {@link Linker.Option#critical critical}: bursts copy into native buffers
 * the caller owns, and nothing here is on the per-packet path of the NIC.
 */
public final class DpdkShim {
    /** The allowlist: each shim function with its C signature. */
    private enum Symbol {
        /** {@code int pspgw_eal_init(int argc, char **argv)} */
        PSPGW_EAL_INIT(FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS)),
        /** {@code int pspgw_port_count(void)} */
        PSPGW_PORT_COUNT(FunctionDescriptor.of(JAVA_INT)),
        /** {@code int pspgw_metadata_register(void)} */
        PSPGW_METADATA_REGISTER(FunctionDescriptor.of(JAVA_INT)),
        /** {@code int pspgw_pool_create(const char *name, uint32_t n, uint16_t data_room, struct rte_mempool **pool)} */
        PSPGW_POOL_CREATE(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_SHORT, ADDRESS)),
        /** {@code void pspgw_pool_free(struct rte_mempool *pool)} */
        PSPGW_POOL_FREE(FunctionDescriptor.ofVoid(ADDRESS)),
        /** {@code uint32_t pspgw_pool_available(struct rte_mempool *pool)} */
        PSPGW_POOL_AVAILABLE(FunctionDescriptor.of(JAVA_INT, ADDRESS)),
        /** {@code int pspgw_port_mac(uint16_t port, uint8_t mac[6])} */
        PSPGW_PORT_MAC(FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, ADDRESS)),
        /** {@code int pspgw_port_driver(uint16_t port, char *name, uint32_t capacity)} */
        PSPGW_PORT_DRIVER(FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, ADDRESS, JAVA_INT)),
        /** {@code int pspgw_port_setup(uint16_t port, uint16_t rx, uint16_t tx, uint16_t descriptors, struct rte_mempool *pool, int isolate, int *step)} */
        PSPGW_PORT_SETUP(FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, JAVA_SHORT, JAVA_SHORT, JAVA_SHORT, ADDRESS, JAVA_INT, ADDRESS)),
        /** {@code int pspgw_port_stop(uint16_t port)} */
        PSPGW_PORT_STOP(FunctionDescriptor.of(JAVA_INT, JAVA_SHORT)),
        /** {@code int pspgw_port_close(uint16_t port)} */
        PSPGW_PORT_CLOSE(FunctionDescriptor.of(JAVA_INT, JAVA_SHORT)),
        /** {@code int pspgw_rx_copy(uint16_t port, uint16_t queue, uint8_t *data, uint32_t slot, uint32_t *lengths, uint32_t *metas, uint16_t max)} */
        PSPGW_RX_COPY(FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, JAVA_SHORT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_SHORT)),
        /** {@code int pspgw_tx_copy(uint16_t port, uint16_t queue, struct rte_mempool *pool, const uint8_t *data, uint32_t slot, const uint32_t *lengths, const uint32_t *metas, uint16_t n)} */
        PSPGW_TX_COPY(FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, JAVA_SHORT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_SHORT));

        final FunctionDescriptor descriptor;

        Symbol(FunctionDescriptor descriptor) {
            this.descriptor = descriptor;
        }

        String symbol() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** The most packets one burst moves (the shim's PSPGW_BURST_MAX). */
    public static final int BURST_MAX = 256;

    private final MethodHandle ealInit;
    private final MethodHandle portCount;
    private final MethodHandle metadataRegister;
    private final MethodHandle poolCreate;
    private final MethodHandle poolFree;
    private final MethodHandle poolAvailable;
    private final MethodHandle portMac;
    private final MethodHandle portDriver;
    private final MethodHandle portSetup;
    private final MethodHandle portStop;
    private final MethodHandle portClose;
    private final MethodHandle rxCopy;
    private final MethodHandle txCopy;

    private DpdkShim(SymbolLookup lookup) throws DocaUnavailableException {
        Linker linker = Linker.nativeLinker();
        List<String> missing = new ArrayList<>();
        MethodHandle[] handles = new MethodHandle[Symbol.values().length];
        for (Symbol s : Symbol.values()) {
            Optional<MemorySegment> address = lookup.find(s.symbol());
            if (address.isEmpty()) {
                missing.add(s.symbol());
            } else {
                handles[s.ordinal()] = linker.downcallHandle(address.get(), s.descriptor);
            }
        }
        if (!missing.isEmpty()) {
            throw new DocaUnavailableException("--backend doca: the DPDK shim lacks " + missing
                    + ": rebuild it from this release's dataplane-native/src/main/c (build-dpdk-shim)");
        }
        ealInit = handles[Symbol.PSPGW_EAL_INIT.ordinal()];
        portCount = handles[Symbol.PSPGW_PORT_COUNT.ordinal()];
        metadataRegister = handles[Symbol.PSPGW_METADATA_REGISTER.ordinal()];
        poolCreate = handles[Symbol.PSPGW_POOL_CREATE.ordinal()];
        poolFree = handles[Symbol.PSPGW_POOL_FREE.ordinal()];
        poolAvailable = handles[Symbol.PSPGW_POOL_AVAILABLE.ordinal()];
        portMac = handles[Symbol.PSPGW_PORT_MAC.ordinal()];
        portDriver = handles[Symbol.PSPGW_PORT_DRIVER.ordinal()];
        portSetup = handles[Symbol.PSPGW_PORT_SETUP.ordinal()];
        portStop = handles[Symbol.PSPGW_PORT_STOP.ordinal()];
        portClose = handles[Symbol.PSPGW_PORT_CLOSE.ordinal()];
        rxCopy = handles[Symbol.PSPGW_RX_COPY.ordinal()];
        txCopy = handles[Symbol.PSPGW_TX_COPY.ordinal()];
    }

    /** Binds the shim through {@code lookup} (tests pass a fake's). */
    static DpdkShim bind(SymbolLookup lookup) throws DocaUnavailableException {
        return new DpdkShim(lookup);
    }

    /**
     * Loads the shim at {@code library} for the rest of the process and binds it.
     *
     * @throws DocaUnavailableException when it is missing, does not load (DPDK's libraries not on
     *     the loader's path) or lacks a function
     */
    public static DpdkShim load(Path library) throws DocaUnavailableException {
        if (!Files.isRegularFile(library)) {
            throw new DocaUnavailableException("--backend doca: the DPDK shim " + library + " is not there (pspgw.doca.dpdk-shim): "
                    + "build it against DOCA's DPDK with dataplane-native/src/main/c/build-dpdk-shim");
        }
        try {
            return new DpdkShim(SymbolLookup.libraryLookup(library, Arena.global()));
        } catch (IllegalArgumentException e) {
            throw new DocaUnavailableException("--backend doca: the DPDK shim " + library + " does not load (" + e.getMessage()
                    + "): DPDK's libraries must be on the loader's path (LD_LIBRARY_PATH or ldconfig)");
        }
    }

    int ealInit(int argc, MemorySegment argv) {
        try {
            return (int) ealInit.invokeExact(argc, argv);
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    int portCount() {
        try {
            return (int) portCount.invokeExact();
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    int metadataRegister() {
        try {
            return (int) metadataRegister.invokeExact();
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    int poolCreate(MemorySegment name, int mbufs, short dataRoom, MemorySegment pool) {
        try {
            return (int) poolCreate.invokeExact(name, mbufs, dataRoom, pool);
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    void poolFree(MemorySegment pool) {
        try {
            poolFree.invokeExact(pool);
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    int poolAvailable(MemorySegment pool) {
        try {
            return (int) poolAvailable.invokeExact(pool);
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    int portMac(short port, MemorySegment mac) {
        try {
            return (int) portMac.invokeExact(port, mac);
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    int portDriver(short port, MemorySegment name, int capacity) {
        try {
            return (int) portDriver.invokeExact(port, name, capacity);
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    int portSetup(short port, short rxQueues, short txQueues, short descriptors, MemorySegment pool, int isolate, MemorySegment step) {
        try {
            return (int) portSetup.invokeExact(port, rxQueues, txQueues, descriptors, pool, isolate, step);
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    int portStop(short port) {
        try {
            return (int) portStop.invokeExact(port);
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    int portClose(short port) {
        try {
            return (int) portClose.invokeExact(port);
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    int rxCopy(short port, short queue, MemorySegment data, int slot, MemorySegment lengths, MemorySegment metas, short max) {
        try {
            return (int) rxCopy.invokeExact(port, queue, data, slot, lengths, metas, max);
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    int txCopy(short port, short queue, MemorySegment pool, MemorySegment data, int slot, MemorySegment lengths, MemorySegment metas, short n) {
        try {
            return (int) txCopy.invokeExact(port, queue, pool, data, slot, lengths, metas, n);
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    private static RuntimeException rethrown(Throwable t) {
        if (t instanceof RuntimeException e) {
            return e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("DPDK shim call failed", t);
    }
}
