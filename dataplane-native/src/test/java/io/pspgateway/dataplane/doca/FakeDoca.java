package io.pspgateway.dataplane.doca;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

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
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The fake DOCA libraries (src/test/c, built by the test build into target/fake-doca) and their
 * test controls: the journal of calls, injected faults, the objects still alive. The libraries
 * are loaded once per JVM, in DOCA's order, and stay loaded: like DOCA, the fake is process-wide.
 */
final class FakeDoca {
    /**
     * One journalled call: the function, its arguments as the fake wrote them, the native thread
     * id, and copies of the structs passed (by position: match, actions or mask, fwd; null where
     * none was passed), taken at the call.
     */
    record Call(String function, String detail, long thread, List<byte[]> structs) {
        /** Struct argument {@code k} as it was at the call. */
        byte[] struct(int k) {
            byte[] bytes = structs.get(k);
            if (bytes == null) {
                throw new AssertionError(this + " was passed no struct " + k);
            }
            return bytes;
        }

        @Override
        public String toString() {
            return detail.isEmpty() ? function : function + " " + detail;
        }
    }

    /** The fake keeps up to this many struct arguments of a call (BLOBS in fake_doca_flow.c). */
    private static final int STRUCTS_PER_CALL = 3;
    /** The fake's kind number for entries (enum kind in fake_doca_flow.c). */
    private static final int ENTRY_KIND = 5;
    private static final int PIPE_KIND = 4;

    private static FakeDoca loaded;

    private final Path dir;
    private final SymbolLookup lookup;
    private final MethodHandle setVersion;
    private final MethodHandle reset;
    private final MethodHandle journalSize;
    private final MethodHandle journalFunction;
    private final MethodHandle journalDetail;
    private final MethodHandle journalThread;
    private final MethodHandle journalBlob;
    private final MethodHandle journalBlobSize;
    private final MethodHandle failCall;
    private final MethodHandle failEntry;
    private final MethodHandle liveObjects;
    private final MethodHandle holdEntries;
    private final MethodHandle liveOfKind;
    private final MethodHandle setCounter;
    private final MethodHandle clearDevices;
    private final MethodHandle resetDevices;
    private final MethodHandle addDevice;
    private final MethodHandle deviceListsAlive;
    private final MethodHandle devicesOpen;

    private FakeDoca(Path dir) throws DocaUnavailableException {
        this.dir = dir;
        this.lookup = DocaLibraries.open(dir, Arena.global());
        setVersion = bind("fake_doca_set_version", FunctionDescriptor.ofVoid(ADDRESS));
        reset = bind("fake_reset", FunctionDescriptor.ofVoid());
        journalSize = bind("fake_journal_size", FunctionDescriptor.of(JAVA_INT));
        journalFunction = bind("fake_journal_function", FunctionDescriptor.of(ADDRESS, JAVA_INT));
        journalDetail = bind("fake_journal_detail", FunctionDescriptor.of(ADDRESS, JAVA_INT));
        journalThread = bind("fake_journal_thread", FunctionDescriptor.of(JAVA_LONG, JAVA_INT));
        journalBlob = bind("fake_journal_blob", FunctionDescriptor.of(ADDRESS, JAVA_INT, JAVA_INT));
        journalBlobSize = bind("fake_journal_blob_size", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
        failCall = bind("fake_fail", FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, JAVA_INT));
        failEntry = bind("fake_fail_entry", FunctionDescriptor.ofVoid(JAVA_INT));
        liveObjects = bind("fake_live_objects", FunctionDescriptor.of(JAVA_INT));
        holdEntries = bind("fake_hold_entries", FunctionDescriptor.ofVoid(JAVA_INT));
        liveOfKind = bind("fake_live_of_kind", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        setCounter = bind("fake_set_counter", FunctionDescriptor.ofVoid(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
        clearDevices = bind("fake_clear_devices", FunctionDescriptor.ofVoid());
        resetDevices = bind("fake_reset_devices", FunctionDescriptor.ofVoid());
        addDevice = bind("fake_add_device", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, ADDRESS));
        deviceListsAlive = bind("fake_device_lists_alive", FunctionDescriptor.of(JAVA_INT));
        devicesOpen = bind("fake_devices_open", FunctionDescriptor.of(JAVA_INT));
    }

    /**
     * The fake, with an empty journal, no fault armed and version 3.0.0058. Skips the test (loudly)
     * where the build had no C compiler; under CI=true the build itself fails then.
     */
    static synchronized FakeDoca get() throws DocaUnavailableException {
        if (loaded == null) {
            Path dir = Path.of(System.getProperty("pspgw.test.fake-doca", "target/fake-doca"));
            if (!Files.isRegularFile(dir.resolve("libdoca_flow.so"))) {
                if ("true".equals(System.getenv("CI"))) {
                    Assertions.fail("the fake DOCA libraries were not built into " + dir + " (src/test/c/build-fake-doca)");
                }
                System.err.println("SKIPPED: no fake DOCA libraries in " + dir + " (no C compiler when the tests were built)");
                Assumptions.abort("no fake DOCA libraries in " + dir);
            }
            loaded = new FakeDoca(dir);
        }
        loaded.reset();
        loaded.version("3.0.0058");
        invoke(() -> {
            loaded.resetDevices.invokeExact();
        });
        return loaded;
    }

    Path dir() {
        return dir;
    }

    SymbolLookup lookup() {
        return lookup;
    }

    void version(String version) {
        try (Arena arena = Arena.ofConfined()) {
            setVersion.invokeExact(arena.allocateFrom(version));
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** The {@code after}+1-th call of {@code function} from now returns {@code error}. */
    void fail(String function, int after, int error) {
        try (Arena arena = Arena.ofConfined()) {
            failCall.invokeExact(arena.allocateFrom(function), after, error);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** After {@code after} successful entries, the next entries_process reports one entry as failed. */
    void failEntry(int after) {
        invoke(() -> {
            failEntry.invokeExact(after);
        });
    }

    /** While {@code on}, entries_process reports no entry, as if the hardware had not finished. */
    void holdEntries(boolean on) {
        invoke(() -> {
            holdEntries.invokeExact(on ? 1 : 0);
        });
    }

    /** The calls since the last {@link #get()}. */
    List<Call> journal() {
        try {
            int size = (int) journalSize.invokeExact();
            if (size < 0) {
                throw new AssertionError("the fake's journal overflowed");
            }
            List<Call> calls = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                List<byte[]> structs = new ArrayList<>();
                for (int k = 0; k < STRUCTS_PER_CALL; k++) {
                    int bytes = (int) journalBlobSize.invokeExact(i, k);
                    structs.add(bytes == 0 ? null : ((MemorySegment) journalBlob.invokeExact(i, k)).reinterpret(bytes).toArray(JAVA_BYTE));
                }
                calls.add(new Call(string((MemorySegment) journalFunction.invokeExact(i)), string((MemorySegment) journalDetail.invokeExact(i)),
                        (long) journalThread.invokeExact(i), java.util.Collections.unmodifiableList(structs)));
            }
            return calls;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** The PFs the fake lists, replacing its one default PF (0000:03:00.0, 192.0.2.1, 2001:db8::1); a null address: none of that family. */
    void devices(List<String> pciAddresses, List<byte[]> ipv4, List<byte[]> ipv6) {
        try (Arena arena = Arena.ofConfined()) {
            clearDevices.invokeExact();
            for (int i = 0; i < pciAddresses.size(); i++) {
                addDevice.invokeExact(arena.allocateFrom(pciAddresses.get(i)), bytes(arena, ipv4.get(i)), bytes(arena, ipv6.get(i)));
            }
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static MemorySegment bytes(Arena arena, byte[] bytes) {
        return bytes == null ? MemorySegment.NULL : arena.allocateFrom(JAVA_BYTE, bytes);
    }

    /** Device lists created and not destroyed, and devices opened and not closed. */
    int deviceListsAlive() {
        try {
            return (int) deviceListsAlive.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    int devicesOpen() {
        try {
            return (int) devicesOpen.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** What the binding created and has not destroyed, of every kind, since the libraries were loaded. */
    int liveObjects() {
        try {
            return (int) liveObjects.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Entries added and not removed, by the fake's own table: what the "hardware" holds. */
    int liveEntries() {
        try {
            return (int) liveOfKind.invokeExact(ENTRY_KIND);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** What querying entry#{@code id} reports from now. */
    void entryCounter(int id, long packets, long bytes) {
        invoke(() -> {
            setCounter.invokeExact(ENTRY_KIND, id, packets, bytes);
        });
    }

    /** What querying pipe#{@code id}'s misses reports from now. */
    void missCounter(int id, long packets) {
        invoke(() -> {
            setCounter.invokeExact(PIPE_KIND, id, packets, 0L);
        });
    }

    private void reset() {
        invoke(() -> {
            reset.invokeExact();
        });
    }

    private interface NativeCall {
        void run() throws Throwable;
    }

    private static void invoke(NativeCall call) {
        try {
            call.run();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static String string(MemorySegment s) {
        return s.reinterpret(4096).getString(0);
    }

    private MethodHandle bind(String name, FunctionDescriptor descriptor) {
        return Linker.nativeLinker().downcallHandle(lookup.find(name).orElseThrow(() -> new AssertionError("the fake lacks " + name)),
                descriptor);
    }
}
