package io.pspgateway.dataplane.doca;

import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_FLOW_CFG_CREATE;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_FLOW_CFG_DESTROY;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_FLOW_CFG_SET_CB_ENTRY_PROCESS;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_FLOW_CFG_SET_DEFAULT_RSS;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_FLOW_CFG_SET_MODE_ARGS;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_FLOW_CFG_SET_NR_COUNTERS;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_FLOW_CFG_SET_NR_SHARED_RESOURCE;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_FLOW_CFG_SET_PIPE_QUEUES;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_FLOW_DESTROY;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_FLOW_INIT;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_FLOW_PORT_CFG_CREATE;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_FLOW_PORT_CFG_DESTROY;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_FLOW_PORT_CFG_SET_ACTIONS_MEM_SIZE;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_FLOW_PORT_CFG_SET_DEV;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_FLOW_PORT_CFG_SET_PORT_ID;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_FLOW_PORT_START;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_FLOW_PORT_STOP;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_FLOW_SHARED_RESOURCES_BIND;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * DOCA Flow initialised for the gateway, with its two ports started and the PSP key slots bound
 * (BACKEND-NOTES 2.2-2.4): the switch-mode PF (port 0, on the device) through which every pipe
 * is built, and the VF representor (port 1) the host's traffic comes from. {@link #close()}
 * stops the VF, then the PF, then destroys DOCA Flow.
 *
 * <p>DOCA Flow is process-wide ({@code doca_flow_init} has no handle), so one instance at most
 * runs in a JVM: a second is refused while the first is open. A start that fails part way undoes
 * what it did, in the same order as {@link #close()}.
 */
public final class DocaFlow implements AutoCloseable {
    /** The switch model and hardware steering, with the isolated and expert options the pipes rely on. */
    static final String MODE_ARGS = "switch,hws,isolated,expert";
    /** The actions memory each port reserves: the sample's 512 MiB, for the per-entry encap headers. */
    static final int ACTIONS_MEM_SIZE = 512 * 1024 * 1024;
    /** Mirror resources: the sampling pipes use ids 1-3. */
    static final int MIRROR_RESOURCES = 4;
    static final short PF_PORT_ID = 0;
    static final short VF_PORT_ID = 1;

    private static final AtomicBoolean running = new AtomicBoolean();

    /**
     * @param maxTunnels the key slots (crypto ids 1..maxTunnels) and the size of the tunnel pipes
     * @param queues pipe queues and RSS queues: one per miss poller
     * @param device the opened {@code doca_dev} of the PF
     */
    public record Settings(int maxTunnels, int queues, MemorySegment device) {
        public Settings {
            if (maxTunnels < 1 || queues < 1 || queues > Short.MAX_VALUE) {
                throw new IllegalArgumentException("maxTunnels and queues must be positive: " + maxTunnels + ", " + queues);
            }
        }

        /** Counters: one per encrypt and one per ACL entry, and the static entries' few. */
        int counters() {
            return maxTunnels * 2 + 10;
        }
    }

    private final DocaFlowNative doca;
    private final EntryCompletions completions;
    private final Scratch scratch = new Scratch();
    private MemorySegment pf = MemorySegment.NULL;
    private MemorySegment vf = MemorySegment.NULL;
    private boolean initialised;
    private boolean closed;

    private DocaFlow(DocaFlowNative doca) {
        this.doca = doca;
        this.completions = new EntryCompletions();
    }

    /**
     * Initialises DOCA Flow, starts both ports and binds the key slots to the PF.
     *
     * @throws IllegalStateException when DOCA Flow already runs in this JVM
     * @throws DocaCallException when a DOCA call fails; nothing is left initialised then
     */
    public static DocaFlow start(DocaFlowNative doca, Settings settings) {
        if (!running.compareAndSet(false, true)) {
            throw new IllegalStateException("--backend doca: DOCA Flow already runs in this JVM; it is process-wide, so a second "
                    + "doca backend is refused");
        }
        DocaFlow flow = new DocaFlow(doca);
        try {
            flow.init(settings);
            flow.pf = flow.startPort(PF_PORT_ID, settings.device());
            flow.vf = flow.startPort(VF_PORT_ID, MemorySegment.NULL);
            flow.bindKeySlots(settings.maxTunnels());
            return flow;
        } catch (RuntimeException e) {
            flow.close();
            throw e;
        }
    }

    private void init(Settings settings) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment holder = arena.allocate(ADDRESS);
            doca.call(DOCA_FLOW_CFG_CREATE, holder);
            MemorySegment cfg = holder.get(ADDRESS, 0);
            try {
                doca.call(DOCA_FLOW_CFG_SET_PIPE_QUEUES, cfg, (short) settings.queues());
                doca.call(DOCA_FLOW_CFG_SET_NR_COUNTERS, cfg, settings.counters());
                doca.call(DOCA_FLOW_CFG_SET_MODE_ARGS, cfg, arena.allocateFrom(MODE_ARGS));
                doca.call(DOCA_FLOW_CFG_SET_CB_ENTRY_PROCESS, cfg, EntryCompletions.upcall());
                doca.call(DOCA_FLOW_CFG_SET_DEFAULT_RSS, cfg, defaultRss(arena, settings.queues()));
                doca.call(DOCA_FLOW_CFG_SET_NR_SHARED_RESOURCE, cfg, settings.maxTunnels() + 1, DocaAbi.DOCA_FLOW_SHARED_RESOURCE_PSP);
                doca.call(DOCA_FLOW_CFG_SET_NR_SHARED_RESOURCE, cfg, MIRROR_RESOURCES, DocaAbi.DOCA_FLOW_SHARED_RESOURCE_MIRROR);
                completions.attach();
                doca.call(DOCA_FLOW_INIT, cfg);
                initialised = true;
            } finally {
                doca.call(DOCA_FLOW_CFG_DESTROY, cfg);
            }
        }
    }

    /** RSS over queues 0..queues-1, for what a pipe sends to the CPU without an RSS set of its own. */
    static MemorySegment defaultRss(Arena arena, int queues) {
        MemorySegment ids = arena.allocate(JAVA_SHORT, queues);
        for (int q = 0; q < queues; q++) {
            ids.setAtIndex(JAVA_SHORT, q, (short) q);
        }
        MemorySegment rss = arena.allocate(DocaAbi.RSS_CFG);
        rss.set(ADDRESS, DocaAbi.RSS_CFG.byteOffset(PathElement.groupElement("queues_array")), ids);
        rss.set(JAVA_INT, DocaAbi.RSS_CFG.byteOffset(PathElement.groupElement("nr_queues")), queues);
        return rss;
    }

    private MemorySegment startPort(short id, MemorySegment device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment holder = arena.allocate(ADDRESS);
            doca.call(DOCA_FLOW_PORT_CFG_CREATE, holder);
            MemorySegment cfg = holder.get(ADDRESS, 0);
            try {
                doca.call(DOCA_FLOW_PORT_CFG_SET_PORT_ID, cfg, id);
                doca.call(DOCA_FLOW_PORT_CFG_SET_DEV, cfg, device);
                doca.call(DOCA_FLOW_PORT_CFG_SET_ACTIONS_MEM_SIZE, cfg, ACTIONS_MEM_SIZE);
                doca.call(DOCA_FLOW_PORT_START, cfg, holder);
                return holder.get(ADDRESS, 0);
            } finally {
                doca.call(DOCA_FLOW_PORT_CFG_DESTROY, cfg);
            }
        }
    }

    /** Crypto ids 1..maxTunnels to the PF, once: key slot s is crypto id s + 1. */
    private void bindKeySlots(int maxTunnels) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ids = arena.allocate(JAVA_INT, maxTunnels);
            for (int slot = 0; slot < maxTunnels; slot++) {
                ids.setAtIndex(JAVA_INT, slot, cryptoId(slot));
            }
            doca.call(DOCA_FLOW_SHARED_RESOURCES_BIND, DocaAbi.DOCA_FLOW_SHARED_RESOURCE_PSP, ids, maxTunnels, pf);
        }
    }

    /** The PSP shared resource of key slot {@code slot}; id 0 is not a valid resource. */
    static int cryptoId(int slot) {
        return slot + 1;
    }

    DocaFlowNative doca() {
        return doca;
    }

    EntryCompletions completions() {
        return completions;
    }

    /** The writer's memory for the structs of each entry operation. */
    Scratch scratch() {
        return scratch;
    }

    /** The PF port: every pipe is created on it and every entry queue processed through it. */
    MemorySegment pf() {
        return pf;
    }

    /**
     * Stops the VF port, then the PF, then destroys DOCA Flow, each only if it was started. Every
     * step runs even if one before it failed; the first failure is thrown after the rest.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException first = null;
        for (MemorySegment port : new MemorySegment[] {vf, pf}) {
            if (!port.equals(MemorySegment.NULL)) {
                try {
                    doca.call(DOCA_FLOW_PORT_STOP, port);
                } catch (RuntimeException e) {
                    first = first == null ? e : first;
                }
            }
        }
        if (initialised) {
            try {
                doca.handle(DOCA_FLOW_DESTROY).invokeExact();
            } catch (Throwable t) {
                first = first == null ? new IllegalStateException("doca_flow_destroy threw", t) : first;
            }
        }
        completions.detach();
        scratch.close();
        running.set(false);
        if (first != null) {
            throw first;
        }
    }
}
