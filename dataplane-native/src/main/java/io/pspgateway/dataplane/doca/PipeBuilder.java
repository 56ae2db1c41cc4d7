package io.pspgateway.dataplane.doca;

import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_FLOW_PIPE_CFG_CREATE;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_FLOW_PIPE_CFG_DESTROY;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_FLOW_PIPE_CFG_SET_ACTIONS;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_FLOW_PIPE_CFG_SET_DIR_INFO;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_FLOW_PIPE_CFG_SET_DOMAIN;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_FLOW_PIPE_CFG_SET_IS_ROOT;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_FLOW_PIPE_CFG_SET_MATCH;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_FLOW_PIPE_CFG_SET_MISS_COUNTER;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_FLOW_PIPE_CFG_SET_MONITOR;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_FLOW_PIPE_CFG_SET_NAME;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_FLOW_PIPE_CFG_SET_NR_ENTRIES;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_FLOW_PIPE_CFG_SET_TYPE;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_FLOW_PIPE_CREATE;
import static java.lang.foreign.ValueLayout.ADDRESS;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One pipe's configuration, set call by call on a {@code doca_flow_pipe_cfg} that
 * {@link #close()} destroys whether or not the pipe was created. Every pipe counts its entries
 * (a per-entry counter monitor) unless another monitor is given.
 */
final class PipeBuilder implements AutoCloseable {
    private final DocaFlowNative doca;
    private final Arena arena;
    private final MemorySegment cfg;
    private MemorySegment monitor;

    PipeBuilder(DocaFlow flow, Arena arena, String name) {
        this.doca = flow.doca();
        this.arena = arena;
        MemorySegment holder = arena.allocate(ADDRESS);
        doca.call(DOCA_FLOW_PIPE_CFG_CREATE, holder, flow.pf());
        this.cfg = holder.get(ADDRESS, 0);
        try {
            doca.call(DOCA_FLOW_PIPE_CFG_SET_NAME, cfg, arena.allocateFrom(name));
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        this.monitor = Fwd.counter(arena);
    }

    PipeBuilder type(int type) {
        doca.call(DOCA_FLOW_PIPE_CFG_SET_TYPE, cfg, type);
        return this;
    }

    PipeBuilder domain(int domain) {
        doca.call(DOCA_FLOW_PIPE_CFG_SET_DOMAIN, cfg, domain);
        return this;
    }

    PipeBuilder direction(int direction) {
        doca.call(DOCA_FLOW_PIPE_CFG_SET_DIR_INFO, cfg, direction);
        return this;
    }

    PipeBuilder root() {
        doca.call(DOCA_FLOW_PIPE_CFG_SET_IS_ROOT, cfg, true);
        return this;
    }

    PipeBuilder entries(int entries) {
        doca.call(DOCA_FLOW_PIPE_CFG_SET_NR_ENTRIES, cfg, entries);
        return this;
    }

    /** Counts the packets that miss every entry: what --stat-print reports per pipe. */
    PipeBuilder missCounter() {
        doca.call(DOCA_FLOW_PIPE_CFG_SET_MISS_COUNTER, cfg, true);
        return this;
    }

    /** The match template and its mask; a NULL mask matches the template's non-zero fields exactly. */
    PipeBuilder match(MemorySegment match, MemorySegment mask) {
        doca.call(DOCA_FLOW_PIPE_CFG_SET_MATCH, cfg, match, mask);
        return this;
    }

    /** Action templates, chosen per entry by {@code action_idx}; a template's non-zero fields are its constants. */
    PipeBuilder actions(MemorySegment... templates) {
        doca.call(DOCA_FLOW_PIPE_CFG_SET_ACTIONS, cfg, pointers(templates), MemorySegment.NULL, MemorySegment.NULL, (long) templates.length);
        return this;
    }

    /** One action template whose fields set in {@code mask} are given per entry, or written as the template says. */
    PipeBuilder actionsWithMask(MemorySegment template, MemorySegment mask) {
        doca.call(DOCA_FLOW_PIPE_CFG_SET_ACTIONS, cfg, pointers(template), pointers(mask), MemorySegment.NULL, 1L);
        return this;
    }

    private MemorySegment pointers(MemorySegment... structs) {
        MemorySegment array = arena.allocate(ADDRESS, structs.length);
        for (int i = 0; i < structs.length; i++) {
            array.setAtIndex(ADDRESS, i, structs[i]);
        }
        return array;
    }

    PipeBuilder monitor(MemorySegment monitor) {
        this.monitor = monitor;
        return this;
    }

    /** Creates the pipe: {@code fwd} for what matches an entry, {@code miss} for the rest ({@link Fwd#NONE} for neither). */
    MemorySegment create(MemorySegment fwd, MemorySegment miss) {
        doca.call(DOCA_FLOW_PIPE_CFG_SET_MONITOR, cfg, monitor);
        MemorySegment holder = arena.allocate(ADDRESS);
        doca.call(DOCA_FLOW_PIPE_CREATE, cfg, fwd, miss, holder);
        return holder.get(ADDRESS, 0);
    }

    @Override
    public void close() {
        doca.call(DOCA_FLOW_PIPE_CFG_DESTROY, cfg);
    }
}
