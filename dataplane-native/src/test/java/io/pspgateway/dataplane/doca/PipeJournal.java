package io.pspgateway.dataplane.doca;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The fake's journal of a pipeline build, read back as pipes and entries with pipe handles
 * replaced by pipe names: "EGR_ACL_IPV4 → PIPE(EGR_SET_SAMPLE_BIT)" rather than "pipe#17".
 */
final class PipeJournal {
    /** One pipe: its name and its configuration calls, as "setter value" lines without the prefix. */
    record Pipe(String name, List<String> settings, String fwd, String miss) {
    }

    /** One entry: the pipe, its forwarding and monitor as the fake decoded them, the fake's id of it, the structs passed. */
    record Entry(String pipe, String detail, int id, FakeDoca.Call call) {
    }

    private static final Pattern CREATE = Pattern.compile("\\S+ fwd=(.*) miss=(.*) -> (pipe#\\d+)");
    private static final Pattern PIPE_HANDLE = Pattern.compile("pipe#\\d+");
    private static final Pattern CREATED_ENTRY = Pattern.compile("(.*) -> entry#(\\d+)");

    final List<Pipe> pipes = new ArrayList<>();
    final List<Entry> entries = new ArrayList<>();
    final List<String> resources = new ArrayList<>();
    private final Map<String, String> names = new HashMap<>();

    PipeJournal(List<FakeDoca.Call> calls) {
        String name = null;
        List<String> settings = new ArrayList<>();
        List<String[]> unresolved = new ArrayList<>();
        List<FakeDoca.Call> entryCalls = new ArrayList<>();
        for (FakeDoca.Call c : calls) {
            String f = c.function();
            if (f.equals("doca_flow_pipe_cfg_set_name")) {
                name = c.detail();
                settings = new ArrayList<>();
            } else if (f.startsWith("doca_flow_pipe_cfg_set_")) {
                settings.add(f.substring("doca_flow_pipe_cfg_set_".length()) + (c.detail().isEmpty() ? "" : " " + c.detail()));
            } else if (f.equals("doca_flow_pipe_create")) {
                Matcher m = CREATE.matcher(c.detail());
                if (!m.matches()) {
                    throw new AssertionError("unreadable pipe_create: " + c);
                }
                names.put(m.group(3), name);
                unresolved.add(new String[] {name, m.group(1), m.group(2)});
                pipes.add(new Pipe(name, List.copyOf(settings), null, null));
            } else if (f.equals("doca_flow_pipe_add_entry") || f.equals("doca_flow_pipe_control_add_entry")) {
                entryCalls.add(c);
            } else if (f.startsWith("doca_flow_shared_resource")) {
                resources.add(c.toString());
            }
        }
        for (int i = 0; i < pipes.size(); i++) {
            Pipe p = pipes.get(i);
            pipes.set(i, new Pipe(p.name(), p.settings(), resolve(unresolved.get(i)[1]), resolve(unresolved.get(i)[2])));
        }
        for (FakeDoca.Call c : entryCalls) {
            Matcher created = CREATED_ENTRY.matcher(resolve(c.detail()));
            if (!created.matches()) {
                throw new AssertionError("unreadable entry add: " + c);
            }
            String detail = created.group(1);
            int space = detail.indexOf(' ');
            entries.add(new Entry(detail.substring(0, space), detail.substring(space + 1), Integer.parseInt(created.group(2)), c));
        }
    }

    /** Pipe handles replaced by the names of the pipes they are. */
    String resolve(String text) {
        Matcher m = PIPE_HANDLE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(names.getOrDefault(m.group(), m.group())));
        }
        return m.appendTail(out).toString();
    }

    /** The fake's id of the pipe named {@code name}. */
    int pipeId(String name) {
        return names.entrySet().stream().filter(e -> e.getValue().equals(name)).map(e -> Integer.parseInt(e.getKey().substring(5)))
                .findFirst().orElseThrow(() -> new AssertionError("no pipe " + name));
    }

    List<String> pipeNames() {
        return pipes.stream().map(Pipe::name).toList();
    }

    Pipe pipe(String name) {
        return pipes.stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow(() -> new AssertionError("no pipe " + name));
    }

    List<Entry> entriesOf(String pipe) {
        return entries.stream().filter(e -> e.pipe().equals(pipe)).toList();
    }
}
