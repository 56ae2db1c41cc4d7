package io.pspgateway.dataplane.doca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Java side of the DOCA ABI against the project's table, read from the markdown at test time:
 * {@code ABI-3.0.md} (a copy of shared/doca's, in test resources) for structs, enums and function
 * prototypes, {@code BACKEND-NOTES.md} for the error codes, the extra constants and the symbols
 * the table leaves out. {@code -Dpspgw.doca.abi=FILE} replaces the table with one a probe printed
 * from a real DOCA SDK's headers, in the same row format.
 */
class DocaAbiTest {
    /** Union and anonymous-struct members DocaAbi names by convention; C paths go through them. */
    private static final Set<String> ANONYMOUS = Set.of("arm", "l3", "l4", "proto", "rss_arm");

    private static final Pattern STRUCT_ROW = Pattern.compile(
            "^(doca_flow_\\w+)\\s+(\\(whole struct\\)|[\\w.]+)\\s+(-|\\d+)\\s+(\\d+)(?:\\s+align\\s+(\\d+))?\\s*$");
    private static final Pattern ENUM_ROW = Pattern.compile("^(doca_\\w+)\\s+(DOCA_\\w+)\\s+(\\d+)\\s*$");
    private static final Pattern PROTOTYPE = Pattern.compile("^(.*?)\\b(doca_\\w+)\\((.*)\\)\\s*$");

    private static String table() throws IOException {
        String probe = System.getProperty("pspgw.doca.abi");
        return probe != null ? Files.readString(Path.of(probe)) : resource("ABI-3.0.md");
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = DocaAbiTest.class.getResourceAsStream("/doca/" + name)) {
            assertTrue(in != null, "test resource doca/" + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Lines inside the ``` blocks: where the table's rows are. */
    private static List<String> codeLines(String markdown) {
        List<String> lines = new ArrayList<>();
        boolean inside = false;
        for (String line : markdown.lines().toList()) {
            if (line.startsWith("```")) {
                inside = !inside;
            } else if (inside) {
                lines.add(line.strip());
            }
        }
        return lines;
    }

    @Test
    void everyStructSizeAlignmentAndFieldOffsetIsTheTables() throws IOException {
        Map<String, MemoryLayout> byName = new HashMap<>();
        DocaAbi.STRUCTS.forEach(l -> byName.put(l.name().orElseThrow(), l));
        int rows = 0;
        int wholes = 0;
        List<String> wrong = new ArrayList<>();
        for (String line : codeLines(table())) {
            Matcher row = STRUCT_ROW.matcher(line);
            if (!row.matches()) {
                if (line.startsWith("doca_flow_") && !ENUM_ROW.matcher(line).matches()) {
                    wrong.add(line + "  <- not a row this test reads");
                }
                continue;
            }
            rows++;
            MemoryLayout struct = byName.get(row.group(1));
            if (struct == null) {
                wrong.add(row.group(1) + ": no Java layout");
                continue;
            }
            long size = Long.parseLong(row.group(4));
            if (row.group(2).equals("(whole struct)")) {
                wholes++;
                if (struct.byteSize() != size || struct.byteAlignment() != Long.parseLong(row.group(5))) {
                    wrong.add(line + "  <- Java size " + struct.byteSize() + " align " + struct.byteAlignment());
                }
                continue;
            }
            Optional<Located> field = locate(struct, row.group(2));
            if (field.isEmpty()) {
                wrong.add(line + "  <- no such path in " + struct.name().orElseThrow());
            } else if (field.get().offset() != Long.parseLong(row.group(3)) || field.get().layout().byteSize() != size) {
                wrong.add(line + "  <- Java offset " + field.get().offset() + " size " + field.get().layout().byteSize());
            }
        }
        assertEquals(List.of(), wrong);
        // no struct row slipped past the pattern (checked above), and the table was there to read
        assertTrue(wholes > 0 && rows > wholes, "the table was read: " + rows + " rows, " + wholes + " structs");
    }

    @Test
    void theStructsTheTableLeavesOutAreTheNotesSize() throws IOException {
        // BACKEND-NOTES 1.3: "name  -  size  align N" rows of the structs the gateway passes beyond the table
        Pattern whole = Pattern.compile("^(doca_flow_\\w+)\\s+-\\s+(\\d+)(?:\\s+align (\\d+))?.*$");
        Map<String, MemoryLayout> byName = new HashMap<>();
        DocaAbi.STRUCTS.forEach(l -> byName.put(l.name().orElseThrow(), l));
        Set<String> checked = new TreeSet<>();
        for (String line : codeLines(resource("BACKEND-NOTES.md"))) {
            Matcher m = whole.matcher(line);
            if (m.matches() && byName.containsKey(m.group(1))) {
                MemoryLayout l = byName.get(m.group(1));
                assertEquals(Long.parseLong(m.group(2)), l.byteSize(), line);
                if (m.group(3) != null) {
                    assertEquals(Long.parseLong(m.group(3)), l.byteAlignment(), line);
                }
                checked.add(m.group(1));
            }
        }
        assertTrue(checked.containsAll(List.of("doca_flow_resource_rss_cfg", "doca_flow_mirror_target", "doca_flow_parser_meta",
                "doca_flow_header_format", "doca_flow_tun", "doca_flow_meta", "doca_flow_crypto_encap_action",
                "doca_flow_crypto_action")), checked.toString());
        // the packed meter_color: a one-byte enum at parser_meta + 7, so the l2/l3/l4 types start at + 8
        assertEquals(7, locate(DocaAbi.PARSER_META, "meter_color").orElseThrow().offset());
        assertEquals(1, locate(DocaAbi.PARSER_META, "meter_color").orElseThrow().layout().byteSize());
        assertEquals(8, locate(DocaAbi.PARSER_META, "outer_l2_type").orElseThrow().offset());
    }

    @Test
    void everyConstantIsTheTablesOrTheNotes() throws Exception {
        Map<String, Long> values = new HashMap<>();
        for (String line : codeLines(table())) {
            Matcher m = ENUM_ROW.matcher(line);
            if (m.matches()) {
                values.put(m.group(2), Long.parseLong(m.group(3)));
            }
        }
        String notes = resource("BACKEND-NOTES.md");
        // 1.2: "0 SUCCESS, 1 UNKNOWN, ..." — DOCA_SUCCESS and DOCA_ERROR_<NAME>
        String errors = notes.substring(notes.indexOf("### 1.2"), notes.indexOf("### 1.3"));
        Matcher error = Pattern.compile("(\\d+) ([A-Z_]+)[,.]").matcher(errors);
        while (error.find()) {
            String name = error.group(2).equals("SUCCESS") ? "DOCA_SUCCESS" : "DOCA_ERROR_" + error.group(2);
            values.put(name, Long.parseLong(error.group(1)));
        }
        // 1.3: "constants: DOCA_FLOW_CRYPTO_HEADER_LEN_MAX 114, ..."
        Matcher constant = Pattern.compile("(DOCA_FLOW_\\w+) (0x[0-9A-Fa-f]+|\\d+)").matcher(
                notes.substring(notes.indexOf("constants:"), notes.indexOf("Carrier mapping")));
        while (constant.find()) {
            values.put(constant.group(1), Long.decode(constant.group(2)));
        }
        assertTrue(values.size() > 150, "the tables were read: " + values.size());
        int checked = 0;
        for (Field f : DocaAbi.class.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class && f.getName().startsWith("DOCA_")) {
                Long expected = values.get(f.getName());
                assertTrue(expected != null, f.getName() + " is in neither table");
                assertEquals(expected.longValue(), Integer.toUnsignedLong(f.getInt(null)), f.getName());
                checked++;
            }
        }
        assertTrue(checked >= 50, "constants checked: " + checked);
    }

    @Test
    void everyBoundSymbolIsTheTablesWithItsSignatureAndNoOther() throws IOException {
        Map<String, FunctionDescriptor> table = new HashMap<>();
        for (String line : codeLines(table())) {
            Matcher m = PROTOTYPE.matcher(line);
            if (m.matches() && !line.contains(" = ")) {
                table.put(m.group(2), descriptor(m.group(1), m.group(3)));
            }
        }
        assertEquals(46, table.size(), "the table's function list: " + table.keySet());
        String notes = resource("BACKEND-NOTES.md");
        String d5 = notes.lines().filter(l -> l.startsWith("| D5 |")).findFirst().orElseThrow();
        Set<String> alsoNeeded = new LinkedHashSet<>();
        Matcher named = Pattern.compile("`(doca_\\w+)`").matcher(d5);
        while (named.find()) {
            alsoNeeded.add(named.group(1));
        }
        Set<String> bound = new TreeSet<>();
        for (DocaSymbol symbol : DocaSymbol.values()) {
            bound.add(symbol.symbol);
            FunctionDescriptor expected = table.get(symbol.symbol);
            if (expected != null) {
                assertEquals(expected, symbol.descriptor, symbol.symbol);
            } else {
                assertTrue(alsoNeeded.contains(symbol.symbol) || alsoNeeded.contains(symbol.symbol.replace("_get_name", "_get_descr")),
                        symbol.symbol + " is neither in the table nor among the notes' other symbols " + alsoNeeded);
            }
        }
        Set<String> unbound = new TreeSet<>(table.keySet());
        unbound.removeAll(bound);
        assertEquals(Set.of(), unbound, "table functions the binding does not bind");
    }

    @Test
    void theEntryCallbackIsTheNotesSignature() {
        // D6: void (struct doca_flow_pipe_entry *, uint16_t, enum doca_flow_entry_status, enum doca_flow_entry_op, void *)
        assertEquals(descriptor("void", "struct doca_flow_pipe_entry *entry, uint16_t pipe_queue, enum doca_flow_entry_status status, "
                + "enum doca_flow_entry_op op, void *user_ctx"), DocaSymbol.ENTRY_PROCESS_CALLBACK);
    }

    /** The FFM descriptor of a C prototype, by the carrier map of BACKEND-NOTES 1.3. */
    private static FunctionDescriptor descriptor(String returnType, String parameters) {
        List<MemoryLayout> arguments = new ArrayList<>();
        if (!parameters.isBlank() && !parameters.strip().equals("void")) {
            for (String parameter : parameters.split(",")) {
                String p = parameter.strip();
                String type = p.contains("*") ? "*" : p.substring(0, p.lastIndexOf(' ')).strip();
                arguments.add(carrier(type));
            }
        }
        String r = returnType.strip();
        return r.equals("void") ? FunctionDescriptor.ofVoid(arguments.toArray(MemoryLayout[]::new))
                : FunctionDescriptor.of(carrier(r.contains("*") ? "*" : r), arguments.toArray(MemoryLayout[]::new));
    }

    private static MemoryLayout carrier(String cType) {
        String t = cType.replace("const ", "").strip();
        if (t.equals("*") || t.equals("doca_flow_entry_process_cb")) {
            return ValueLayout.ADDRESS;
        }
        if (t.startsWith("enum ") || t.equals("doca_error_t") || t.equals("int") || t.equals("uint32_t")) {
            return ValueLayout.JAVA_INT;
        }
        return switch (t) {
            case "uint16_t" -> ValueLayout.JAVA_SHORT;
            case "uint64_t", "size_t" -> ValueLayout.JAVA_LONG;
            case "bool" -> ValueLayout.JAVA_BOOLEAN;
            default -> fail("no carrier for C type '" + t + "'");
        };
    }

    private record Located(long offset, MemoryLayout layout) {
    }

    /** The offset and layout of a C path, going through the members C leaves anonymous. */
    private static Optional<Located> locate(MemoryLayout struct, String path) {
        Located at = new Located(0, struct);
        for (String element : path.split("\\.")) {
            Optional<Located> next = member(at, element);
            if (next.isEmpty()) {
                return Optional.empty();
            }
            at = next.get();
        }
        return Optional.of(at);
    }

    private static Optional<Located> member(Located group, String name) {
        if (!(group.layout() instanceof GroupLayout g)) {
            return Optional.empty();
        }
        for (MemoryLayout m : g.memberLayouts()) {
            long offset = group.offset() + g.byteOffset(MemoryLayout.PathElement.groupElement(memberIndex(g, m)));
            if (m.name().equals(Optional.of(name))) {
                return Optional.of(new Located(offset, m));
            }
            if (m.name().isPresent() && ANONYMOUS.contains(m.name().get())) {
                Optional<Located> inside = member(new Located(offset, m), name);
                if (inside.isPresent()) {
                    return inside;
                }
            }
        }
        return Optional.empty();
    }

    private static long memberIndex(GroupLayout g, MemoryLayout m) {
        List<MemoryLayout> members = g.memberLayouts();
        for (int i = 0; i < members.size(); i++) {
            if (members.get(i) == m) {
                return i;
            }
        }
        throw new AssertionError(m + " is not a member of " + g);
    }
}
