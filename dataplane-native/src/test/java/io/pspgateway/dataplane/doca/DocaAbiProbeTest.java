package io.pspgateway.dataplane.doca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/doca-abi-probe, the tier-1 check a user with the DOCA SDK runs, on a stand-in header
 * (not DOCA's): the probe prints what the header says for each of the table's rows, so a wrong
 * row comes out corrected, and a prototype the header declares otherwise stops the compile.
 */
class DocaAbiProbeTest {
    private static final Path SCRIPT = Path.of("../scripts/doca-abi-probe").toAbsolutePath().normalize();
    private static final Path STAND_IN = Path.of("src/test/resources/doca-probe").toAbsolutePath();

    @TempDir
    Path dir;

    @BeforeAll
    static void needsACompiler() throws Exception {
        boolean cc = new ProcessBuilder("sh", "-c", "command -v cc").start().waitFor() == 0;
        if (!cc && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("no C compiler (cc) under CI=true");
        }
        if (!cc) {
            System.err.println("SKIPPED DocaAbiProbeTest: no C compiler (cc)");
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(cc, "no C compiler (cc)");
    }

    private record Run(int exit, String err) {
    }

    private Run probe(Path table, Path out) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("bash", SCRIPT.toString(), "--table", table.toString(), "--include", STAND_IN.toString(),
                "--headers", "demo_doca.h", "--out", out.toString()).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the probe did not finish");
        return new Run(p.exitValue(), err);
    }

    @Test
    void theProbePrintsTheHeadersValuesForTheTablesRowsInTheTablesFormat() throws Exception {
        Path out = dir.resolve("probe.md");
        Run run = probe(STAND_IN.resolve("table.md"), out);
        assertEquals(0, run.exit(), run.err());
        List<String> rows = Files.readAllLines(out).stream().map(l -> l.strip().replaceAll("\\s+", " ")).toList();
        assertEquals(List.of("```", "struct field offset size",
                "doca_flow_demo (whole struct) - 32 align 8",
                "doca_flow_demo flags 0 1",
                "doca_flow_demo outer.port 4 2",
                "doca_flow_demo outer.ip4 8 4", // the table says 4: the header's 8 is printed
                "doca_flow_demo outer.ip6 8 16",
                "doca_flow_demo tail 24 8",
                "```", "```",
                "doca_flow_demo_kind DOCA_FLOW_DEMO_A 0",
                "doca_flow_demo_kind DOCA_FLOW_DEMO_B 7", // the table says 5
                "```", "```",
                "doca_error_t doca_flow_demo_start(struct doca_flow_port *port, uint16_t queue)",
                "void doca_flow_demo_stop(void)",
                "```"), rows);
    }

    @Test
    void aPrototypeTheHeaderDeclaresOtherwiseStopsTheProbeNamingTheFunction() throws Exception {
        Path table = Files.writeString(dir.resolve("table.md"), Files.readString(STAND_IN.resolve("table.md"))
                .replace("uint16_t queue)", "uint32_t queue)"));
        Run run = probe(table, dir.resolve("probe.md"));
        assertNotEquals(0, run.exit());
        assertTrue(run.err().contains("doca_flow_demo_start: the header declares another prototype than the table"), run.err());
    }

    @Test
    void withoutTheHeadersTheProbeSaysWhatToInstall() throws Exception {
        Process p = new ProcessBuilder("bash", SCRIPT.toString(), "--include", dir.toString()).start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue());
        assertTrue(err.startsWith("doca-abi-probe: no doca_flow.h in " + dir + ": install the DOCA 3.0 SDK"), err);
    }
}
