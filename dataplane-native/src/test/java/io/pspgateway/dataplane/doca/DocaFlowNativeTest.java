package io.pspgateway.dataplane.doca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finding, loading and binding DOCA: against the fake libraries, and where there is none. */
class DocaFlowNativeTest {
    @TempDir
    Path empty;

    @Test
    void theThreeLibrariesLoadFromTheLibDirAndEveryAllowedSymbolIsBound() throws Exception {
        FakeDoca fake = FakeDoca.get();
        try (DocaFlowNative doca = DocaFlowNative.load(fake.dir())) {
            assertEquals("3.0.0058", doca.runtimeVersion());
            assertEquals("DOCA_ERROR_NO_MEMORY", doca.errorName(DocaAbi.DOCA_ERROR_NO_MEMORY));
            for (DocaSymbol symbol : DocaSymbol.values()) {
                assertEquals(symbol.descriptor.toMethodType(), doca.handle(symbol).type(), symbol.symbol);
            }
        }
    }

    @Test
    void aMissingLibraryIsNamedWithWhereItWasLookedForAndWhatToDo() throws IOException {
        DocaUnavailableException e = assertThrows(DocaUnavailableException.class, () -> DocaFlowNative.load(empty));
        assertEquals("--backend doca: libdoca_common.so not found in " + empty + " (pspgw.doca.lib-dir): install DOCA 3.0 "
                + "(the doca-runtime package) or set pspgw.doca.lib-dir to the directory that holds its libraries", e.getMessage());
        // the dependencies are looked for first: with only libdoca_flow.so there, the missing one is named
        Files.writeString(empty.resolve("libdoca_flow.so"), "");
        e = assertThrows(DocaUnavailableException.class, () -> DocaFlowNative.load(empty));
        assertTrue(e.getMessage().startsWith("--backend doca: libdoca_common.so not found"), e.getMessage());
    }

    @Test
    void aLibraryThatDoesNotLoadIsReportedWithTheLoadersReason() throws Exception {
        FakeDoca fake = FakeDoca.get();
        Files.copy(fake.dir().resolve("libdoca_common.so"), empty.resolve("libdoca_common.so"));
        Files.writeString(empty.resolve("libdoca_flow.so"), "this is no ELF file, but long enough to have an ELF header to read. ".repeat(4));
        DocaUnavailableException e = assertThrows(DocaUnavailableException.class, () -> DocaFlowNative.load(empty));
        assertTrue(e.getMessage().startsWith("--backend doca: " + empty.resolve("libdoca_flow.so") + " does not load: "), e.getMessage());
        assertTrue(e.getMessage().contains("invalid ELF header"), e.getMessage());
    }

    @Test
    void aRuntimeOtherThan30IsRefusedWithTheVersionFound() throws Exception {
        FakeDoca fake = FakeDoca.get();
        try {
            for (String other : new String[] {"3.2.0109", "2.10.0087", "3.00", "30.0"}) {
                fake.version(other);
                DocaUnavailableException e = assertThrows(DocaUnavailableException.class, () -> DocaFlowNative.bind(fake.lookup()), other);
                assertTrue(e.getMessage().startsWith("--backend doca: the DOCA runtime is " + other + ", but this gateway binds DOCA 3.0.x only"),
                        e.getMessage());
                assertThrows(DocaUnavailableException.class, () -> DocaFlowNative.load(fake.dir()).close(), other);
            }
            fake.version("3.0.1");
            DocaFlowNative.bind(fake.lookup());
        } finally {
            fake.version("3.0.0058");
        }
    }

    @Test
    void aLibraryLackingOneAllowedSymbolIsRefusedAsAWhole() throws Exception {
        FakeDoca fake = FakeDoca.get();
        SymbolLookup withoutWipe = name -> name.equals("doca_flow_crypto_psp_spi_key_wipe") ? Optional.empty() : fake.lookup().find(name);
        DocaUnavailableException e = assertThrows(DocaUnavailableException.class, () -> DocaFlowNative.bind(withoutWipe));
        assertEquals("--backend doca: the DOCA libraries lack [doca_flow_crypto_psp_spi_key_wipe]: they are not DOCA 3.0.x, "
                + "the only release this gateway binds", e.getMessage());
        assertTrue(fake.journal().isEmpty(), "nothing was called: " + fake.journal());
    }

    @Test
    void onlyTheAllowlistIsLookedUp() throws Exception {
        FakeDoca fake = FakeDoca.get();
        java.util.Set<String> asked = new java.util.TreeSet<>();
        DocaFlowNative.bind(name -> {
            asked.add(name);
            return fake.lookup().find(name);
        });
        java.util.Set<String> allowed = new java.util.TreeSet<>();
        for (DocaSymbol s : DocaSymbol.values()) {
            allowed.add(s.symbol);
        }
        assertEquals(allowed, asked);
    }
}
