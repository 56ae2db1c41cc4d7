package io.pspgateway.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The original's {@code -j/--json FILE}: every flag read from a JSON object whose keys are the long
 * flag names ({@code {"pci-addr": "03:00.0", "static-tunnels": true, "max-tunnels": 512}}).
 * The file's flags come first, so flags also given on the command line override them. A key that
 * names no flag is rejected by the parser like an unknown flag.
 */
final class JsonFlags {
    private static final JsonMapper JSON = JsonMapper.builder().enable(JsonReadFeature.ALLOW_JAVA_COMMENTS).build();

    /** A flags file that cannot be used. */
    static final class JsonFlagsException extends Exception {
        JsonFlagsException(String message) {
            super(message);
        }
    }

    private JsonFlags() {
    }

    static String[] expand(String[] args) throws JsonFlagsException {
        List<String> rest = new ArrayList<>();
        List<String> fromFile = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String file = null;
            if (a.equals("-j") || a.equals("--json")) {
                if (i + 1 >= args.length) {
                    throw new JsonFlagsException(a + " needs a file");
                }
                file = args[++i];
            } else if (a.startsWith("--json=")) {
                file = a.substring("--json=".length());
            }
            if (file != null) {
                fromFile.addAll(read(Path.of(file)));
            } else {
                rest.add(a);
            }
        }
        fromFile.addAll(rest);
        return fromFile.toArray(String[]::new);
    }

    private static List<String> read(Path file) throws JsonFlagsException {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file));
        } catch (JsonProcessingException e) {
            throw new JsonFlagsException(file + ": not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new JsonFlagsException(file + ": cannot read: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new JsonFlagsException(file + ": must hold one JSON object of flags");
        }
        List<String> flags = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String flag = "--" + e.getKey();
            JsonNode v = e.getValue();
            if (v.isBoolean()) {
                if (v.asBoolean()) {
                    flags.add(flag);
                }
            } else if (v.isArray()) {
                for (JsonNode item : v) {
                    flags.add(flag);
                    flags.add(item.asText());
                }
            } else if (v.isValueNode() && !v.isNull()) {
                flags.add(flag);
                flags.add(v.asText());
            } else {
                throw new JsonFlagsException(file + ": flag '" + e.getKey() + "' must be a string, number, boolean or array");
            }
        }
        return flags;
    }
}
