package io.pspgateway.dataplane.doca;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Finds DOCA's libraries in one directory ({@code pspgw.doca.lib-dir}) and loads them,
 * dependencies first: FFM opens a library with local symbol scope, so {@code libdoca_flow.so}
 * finds {@code libdoca_common.so} only because the dynamic loader already holds it under its
 * soname, whether or not the directory is on the loader's search path.
 *
 * <p>When a library is there but does not load, the loader's own reason (a missing dependency, a
 * wrong ELF class) is reported: FFM's exception says only that it could not, so the library is
 * opened once more with {@code dlopen} to read {@code dlerror}.
 */
public final class DocaLibraries {
    /** Where DOCA's packages install on x86_64 (the default of {@code pspgw.doca.lib-dir}). */
    public static final Path DEFAULT_DIR = Path.of("/opt/mellanox/doca/lib/x86_64-linux-gnu");

    /** In load order: each needs only those before it (and the system's libraries). */
    static final List<String> LIBRARIES = List.of("libdoca_common.so", "libdoca_flow.so", "libdoca_dpdk_bridge.so");

    private static final int RTLD_NOW = 0x2;

    private DocaLibraries() {
    }

    /**
     * The symbols of the three libraries in {@code dir}, loaded for as long as {@code arena} is
     * alive.
     *
     * @throws DocaUnavailableException naming the first library that is missing or does not load, and why
     */
    public static SymbolLookup open(Path dir, Arena arena) throws DocaUnavailableException {
        SymbolLookup all = null;
        for (String name : LIBRARIES) {
            Path library = dir.resolve(name);
            if (!Files.isRegularFile(library)) {
                throw new DocaUnavailableException("--backend doca: " + name + " not found in " + dir + " (pspgw.doca.lib-dir): install "
                        + "DOCA 3.0 (the doca-runtime package) or set pspgw.doca.lib-dir to the directory that holds its libraries");
            }
            SymbolLookup one;
            try {
                one = SymbolLookup.libraryLookup(library, arena);
            } catch (IllegalArgumentException e) {
                throw new DocaUnavailableException("--backend doca: " + library + " does not load: " + loaderError(library)
                        + " (DOCA 3.0's libraries need its DPDK and the system's libraries on the loader's path)");
            }
            all = all == null ? one : all.or(one);
        }
        return all;
    }

    /** What the dynamic loader says about {@code library}. */
    private static String loaderError(Path library) {
        Linker linker = Linker.nativeLinker();
        SymbolLookup libc = linker.defaultLookup();
        MethodHandle dlopen = linker.downcallHandle(libc.find("dlopen").orElseThrow(), FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
        MethodHandle dlerror = linker.downcallHandle(libc.find("dlerror").orElseThrow(), FunctionDescriptor.of(ADDRESS));
        MethodHandle dlclose = linker.downcallHandle(libc.find("dlclose").orElseThrow(), FunctionDescriptor.of(JAVA_INT, ADDRESS));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment handle = (MemorySegment) dlopen.invokeExact(arena.allocateFrom(library.toString()), RTLD_NOW);
            if (!handle.equals(MemorySegment.NULL)) {
                int ignored = (int) dlclose.invokeExact(handle);
                return "it loads with dlopen but not through FFM";
            }
            MemorySegment message = (MemorySegment) dlerror.invokeExact();
            return message.equals(MemorySegment.NULL) ? "the loader gave no reason" : message.reinterpret(4096).getString(0);
        } catch (Throwable t) {
            return "the loader's reason could not be read (" + t + ")";
        }
    }
}
