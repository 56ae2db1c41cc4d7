package io.pspgateway.dataplane.doca;

import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One downcall handle per {@link DocaSymbol}, resolved through a {@link SymbolLookup} the caller
 * gives: {@link DocaLibraries#open} on a host with DOCA, a fake library in tests. Every symbol is
 * resolved up front, so a library that lacks one is refused before anything is called.
 *
 * <p>No handle is {@link Linker.Option#critical critical}: {@code doca_flow_entries_process}
 * calls back into Java, and the others run on the control path, where the cost of a state
 * transition does not matter.
 */
public final class DocaFlowNative implements AutoCloseable {
    /** The DOCA release whose ABI {@link DocaAbi} describes; any other is refused. */
    public static final String SUPPORTED_RELEASE = "3.0";

    private final Map<DocaSymbol, MethodHandle> handles = new EnumMap<>(DocaSymbol.class);
    /** The status-returning handles, each taking its arguments as one Object[] ({@link #call}). */
    private final Map<DocaSymbol, MethodHandle> spread = new EnumMap<>(DocaSymbol.class);
    private final Optional<Arena> libraries;
    // the calls each entry makes, called exactly (no boxing): see addEntry, removeEntry, entriesProcess
    private final MethodHandle addEntry;
    private final MethodHandle removeEntry;
    private final MethodHandle entriesProcess;

    private DocaFlowNative(SymbolLookup lookup, Optional<Arena> libraries) throws DocaUnavailableException {
        this.libraries = libraries;
        Linker linker = Linker.nativeLinker();
        List<String> missing = new ArrayList<>();
        for (DocaSymbol symbol : DocaSymbol.values()) {
            Optional<MemorySegment> address = lookup.find(symbol.symbol);
            if (address.isEmpty()) {
                missing.add(symbol.symbol);
            } else {
                MethodHandle handle = linker.downcallHandle(address.get(), symbol.descriptor);
                handles.put(symbol, handle);
                if (handle.type().returnType() == int.class) {
                    spread.put(symbol, handle.asSpreader(Object[].class, handle.type().parameterCount()));
                }
            }
        }
        if (!missing.isEmpty()) {
            throw new DocaUnavailableException("--backend doca: the DOCA libraries lack " + missing
                    + ": they are not DOCA " + SUPPORTED_RELEASE + ".x, the only release this gateway binds");
        }
        this.addEntry = handles.get(DocaSymbol.DOCA_FLOW_PIPE_ADD_ENTRY);
        this.removeEntry = handles.get(DocaSymbol.DOCA_FLOW_PIPE_REMOVE_ENTRY);
        this.entriesProcess = handles.get(DocaSymbol.DOCA_FLOW_ENTRIES_PROCESS);
    }

    /**
     * Binds every symbol through {@code lookup} and refuses a runtime that is not DOCA 3.0.x.
     *
     * @throws DocaUnavailableException when a symbol is missing or the runtime is another release
     */
    public static DocaFlowNative bind(SymbolLookup lookup) throws DocaUnavailableException {
        return checked(new DocaFlowNative(lookup, Optional.empty()));
    }

    /**
     * Loads DOCA's libraries from {@code dir} and binds them; {@link #close()} unloads them.
     *
     * @throws DocaUnavailableException when a library is missing or does not load, a symbol is missing or the runtime is another release
     */
    public static DocaFlowNative load(Path dir) throws DocaUnavailableException {
        Arena arena = Arena.ofShared();
        try {
            return checked(new DocaFlowNative(DocaLibraries.open(dir, arena), Optional.of(arena)));
        } catch (DocaUnavailableException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static DocaFlowNative checked(DocaFlowNative bound) throws DocaUnavailableException {
        requireVersion(bound.runtimeVersion());
        return bound;
    }

    /** {@code doca_version_runtime()}: the DOCA release the libraries are, such as "3.0.0058". */
    public String runtimeVersion() {
        try {
            MemorySegment version = (MemorySegment) handle(DocaSymbol.DOCA_VERSION_RUNTIME).invokeExact();
            return cString(version, "(none)");
        } catch (Throwable t) {
            throw new IllegalStateException("doca_version_runtime failed", t);
        }
    }

    /** DOCA's name for an error code, such as DOCA_ERROR_NO_MEMORY. */
    public String errorName(int error) {
        try {
            MemorySegment name = (MemorySegment) handle(DocaSymbol.DOCA_ERROR_GET_NAME).invokeExact(error);
            return cString(name, "DOCA error " + error);
        } catch (Throwable t) {
            return "DOCA error " + error;
        }
    }

    /**
     * Refuses every release but 3.0.x: the struct layouts move in 3.2 and later, and the entry
     * flags change meaning, so a 3.2 library would be handed wrong bytes without an error.
     */
    static void requireVersion(String version) throws DocaUnavailableException {
        if (!version.equals(SUPPORTED_RELEASE) && !version.startsWith(SUPPORTED_RELEASE + ".")) {
            throw new DocaUnavailableException("--backend doca: the DOCA runtime is " + version + ", but this gateway binds DOCA "
                    + SUPPORTED_RELEASE + ".x only (its struct layouts differ between releases): install DOCA " + SUPPORTED_RELEASE
                    + " or point pspgw.doca.lib-dir at it");
        }
    }

    /**
     * Calls {@code symbol}, a function returning {@code doca_error_t}, and throws on an error.
     * The arguments are boxed, but the spreading handle is built once per symbol, so a call costs
     * an unboxing per argument rather than invokeWithArguments' type adaptation.
     *
     * @throws DocaCallException when the call returns anything but DOCA_SUCCESS
     */
    void call(DocaSymbol symbol, Object... arguments) {
        int status;
        try {
            status = (int) spread.get(symbol).invokeExact(arguments);
        } catch (Throwable t) {
            throw rethrown(symbol, t);
        }
        check(symbol, status);
    }

    /** {@code doca_flow_pipe_add_entry}: queues an entry, writing its handle to {@code entry}. */
    void addEntry(short queue, MemorySegment pipe, MemorySegment match, MemorySegment actions, MemorySegment monitor,
                  MemorySegment fwd, int flags, MemorySegment userContext, MemorySegment entry) {
        int status;
        try {
            status = (int) addEntry.invokeExact(queue, pipe, match, actions, monitor, fwd, flags, userContext, entry);
        } catch (Throwable t) {
            throw rethrown(DocaSymbol.DOCA_FLOW_PIPE_ADD_ENTRY, t);
        }
        check(DocaSymbol.DOCA_FLOW_PIPE_ADD_ENTRY, status);
    }

    /** {@code doca_flow_pipe_remove_entry}: queues the entry's removal. */
    void removeEntry(short queue, int flags, MemorySegment entry) {
        int status;
        try {
            status = (int) removeEntry.invokeExact(queue, flags, entry);
        } catch (Throwable t) {
            throw rethrown(DocaSymbol.DOCA_FLOW_PIPE_REMOVE_ENTRY, t);
        }
        check(DocaSymbol.DOCA_FLOW_PIPE_REMOVE_ENTRY, status);
    }

    /** {@code doca_flow_entries_process}: pushes the queue's operations, reporting them through the entry callback. */
    void entriesProcess(MemorySegment port, short queue, long timeoutUs, int max) {
        int status;
        try {
            status = (int) entriesProcess.invokeExact(port, queue, timeoutUs, max);
        } catch (Throwable t) {
            throw rethrown(DocaSymbol.DOCA_FLOW_ENTRIES_PROCESS, t);
        }
        check(DocaSymbol.DOCA_FLOW_ENTRIES_PROCESS, status);
    }

    private void check(DocaSymbol symbol, int status) {
        if (status != DocaAbi.DOCA_SUCCESS) {
            throw new DocaCallException(symbol.symbol, status, errorName(status));
        }
    }

    private static RuntimeException rethrown(DocaSymbol symbol, Throwable t) {
        if (t instanceof RuntimeException e) {
            return e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(symbol.symbol + " threw", t);
    }

    /** The handle of {@code symbol}, bound to the descriptor {@link DocaSymbol} gives. */
    MethodHandle handle(DocaSymbol symbol) {
        return handles.get(symbol);
    }

    /** Unloads the libraries when this binding loaded them; its handles must not be called after. */
    @Override
    public void close() {
        libraries.ifPresent(Arena::close);
    }

    private static String cString(MemorySegment pointer, String ifNull) {
        return pointer.equals(MemorySegment.NULL) ? ifNull : pointer.reinterpret(256).getString(0);
    }
}
