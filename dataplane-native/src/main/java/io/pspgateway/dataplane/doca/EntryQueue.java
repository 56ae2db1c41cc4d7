package io.pspgateway.dataplane.doca;

import static java.lang.foreign.ValueLayout.ADDRESS;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.util.function.Supplier;

/**
 * Pipe queue 0 of the PF, driven by the data plane's single writer: an entry added through it is
 * in the hardware when {@link #add} returns, and one that fails leaves nothing behind.
 *
 * <p>DOCA queues an entry and reports its outcome later, through the entry callback, from inside
 * {@code doca_flow_entries_process}. So each add processes the queue until its own report
 * arrives, for at most {@link #MAX_ROUNDS} rounds of {@link #ROUND_US} each; an entry reported
 * as failed, or not reported in time, is removed again before the error is thrown. The structs
 * an add passes must stay alive until {@code add} returns: DOCA may read them while processing.
 */
final class EntryQueue {
    static final short QUEUE = 0;
    /** How long one {@code entries_process} round may wait: the sample's 10 ms. */
    static final long ROUND_US = 10_000;
    /** Rounds before an insert is given up: one second in all. */
    static final int MAX_ROUNDS = 100;

    /** One queued operation: the DOCA call that queues an entry with {@code userContext}, writing its handle to {@code entry}. */
    @FunctionalInterface
    interface Insert {
        void queue(MemorySegment userContext, MemorySegment entry);
    }

    private final DocaFlowNative doca;
    private final MemorySegment port;
    private final EntryCompletions completions;

    EntryQueue(DocaFlow flow) {
        this.doca = flow.doca();
        this.port = flow.pf();
        this.completions = flow.completions();
    }

    /** An entry live in the hardware: its handle, and the {@code usr_ctx} DOCA reports each of its operations with. */
    record Entry(MemorySegment handle, MemorySegment token) {
    }

    /**
     * Queues the entry {@code insert} describes and processes until DOCA reports it.
     *
     * @param allocator where the handle DOCA writes back is kept: the caller's, which holds the entry's structs too
     * @param what the entry, for the error: "encrypt entry for 10.0.0.2" (made only when there is one)
     * @return the entry, live in the hardware
     * @throws DocaCallException when the add call fails, DOCA reports the entry as failed, or it
     *     does not report it in time; no entry is left in the pipe then
     */
    Entry add(SegmentAllocator allocator, Supplier<String> what, Insert insert) {
        MemorySegment token = completions.expect();
        MemorySegment entry;
        try {
            MemorySegment holder = allocator.allocate(ADDRESS);
            insert.queue(token, holder);
            entry = holder.get(ADDRESS, 0);
        } catch (RuntimeException e) {
            completions.abandon(token);
            throw e;
        }
        try {
            await(token, what);
        } catch (RuntimeException e) {
            removeQuietly(entry, e);
            throw e;
        }
        return new Entry(entry, token);
    }

    /**
     * Queues {@code update}, a {@code doca_flow_pipe_update_entry} of {@code entry}, and processes
     * until DOCA reports it (DOCA reports it with the usr_ctx the entry was added with).
     *
     * @throws DocaCallException when the update call fails, DOCA reports it as failed, or it does
     *     not report it in time; the entry stays in its pipe then, and what it does is what DOCA
     *     left it doing (the fake: as before the update; hardware must confirm)
     */
    void update(Entry entry, Supplier<String> what, Runnable update) {
        completions.expectAgain(entry.token());
        try {
            update.run();
        } catch (RuntimeException e) {
            completions.abandon(entry.token());
            throw e;
        }
        await(entry.token(), what);
    }

    /** Processes until DOCA reports {@code token}'s operation: returns on success, throws otherwise, having stopped waiting for it. */
    private void await(MemorySegment token, Supplier<String> what) {
        int status = DocaAbi.DOCA_FLOW_ENTRY_STATUS_IN_PROCESS;
        try {
            for (int round = 0; round < MAX_ROUNDS && status == DocaAbi.DOCA_FLOW_ENTRY_STATUS_IN_PROCESS; round++) {
                process();
                status = completions.outcome(token);
            }
        } catch (RuntimeException e) {
            completions.abandon(token);
            throw e;
        }
        if (status != DocaAbi.DOCA_FLOW_ENTRY_STATUS_SUCCESS) {
            completions.abandon(token);
            throw DocaCallException.entry(what.get(), status == DocaAbi.DOCA_FLOW_ENTRY_STATUS_ERROR
                    ? "DOCA reported the entry as failed" : "DOCA did not report the entry within " + MAX_ROUNDS * ROUND_US / 1000 + " ms");
        }
    }

    /** Removes {@code entry} from its pipe and processes the removal. */
    void remove(MemorySegment entry) {
        doca.removeEntry(QUEUE, DocaAbi.DOCA_FLOW_NO_WAIT, entry);
        process();
    }

    private void removeQuietly(MemorySegment entry, RuntimeException cause) {
        try {
            remove(entry);
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
        }
    }

    private void process() {
        doca.entriesProcess(port, QUEUE, ROUND_US, 1);
    }
}
