package io.pspgateway.dataplane.doca;

import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where DOCA reports the outcome of each queued entry operation: the entry-process callback,
 * registered at {@code doca_flow_init}. Each operation is given a token, passed to DOCA as the
 * entry's {@code usr_ctx}; the callback files the status under it, and the writer takes it.
 *
 * <p>Threading: DOCA calls back on the thread that calls {@code doca_flow_entries_process}, which
 * is the data plane's single writer, so the state here is touched by one thread and has no lock.
 *
 * <p>The upcall stub is made once per process in the global arena: DOCA keeps the pointer until
 * {@code doca_flow_destroy}, and a stub freed any earlier would be a jump into freed memory. It
 * dispatches to the completions of the DOCA Flow instance that is running. An exception that
 * escaped an upcall would end the JVM, so the callback catches everything and counts it.
 */
final class EntryCompletions {
    private static final Logger log = LoggerFactory.getLogger(EntryCompletions.class);
    private static MemorySegment upcall;
    private static volatile EntryCompletions current;

    /**
     * Tokens waiting, by token modulo the table's size (0: a free place), with their status. Each
     * insert waits for its own report before the next, so one or two wait at a time; a full place
     * would mean the writer lost track of its operations, and is refused.
     */
    private static final int WAITING_MAX = 1024;
    private final long[] tokens = new long[WAITING_MAX];
    private final int[] statuses = new int[WAITING_MAX];
    private long nextToken = 1;
    private long unknown;
    private long failedCallbacks;

    /** The {@code doca_flow_entry_process_cb} to register: one stub per process. */
    static synchronized MemorySegment upcall() {
        if (upcall == null) {
            try {
                var target = MethodHandles.lookup().findStatic(EntryCompletions.class, "onEntry",
                        MethodType.methodType(void.class, MemorySegment.class, short.class, int.class, int.class, MemorySegment.class));
                upcall = Linker.nativeLinker().upcallStub(target, DocaSymbol.ENTRY_PROCESS_CALLBACK, Arena.global());
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("the entry callback's target is missing", e);
            }
        }
        return upcall;
    }

    /** Makes these the completions the callback reports to, until {@link #detach()}. */
    void attach() {
        current = this;
    }

    void detach() {
        if (current == this) {
            current = null;
        }
    }

    /** A token for an operation about to be queued: the {@code usr_ctx} to give DOCA. */
    MemorySegment expect() {
        int place = place(nextToken);
        if (tokens[place] != 0) {
            throw new IllegalStateException(WAITING_MAX + " DOCA entry operations wait for their outcome: none was taken or abandoned");
        }
        long token = nextToken++;
        tokens[place] = token;
        statuses[place] = DocaAbi.DOCA_FLOW_ENTRY_STATUS_IN_PROCESS;
        return MemorySegment.ofAddress(token);
    }

    /**
     * Waits again for {@code token}, given to an entry at its add: DOCA reports an update of the
     * entry with the usr_ctx it was added with.
     */
    void expectAgain(MemorySegment token) {
        int place = place(token.address());
        if (tokens[place] != 0) {
            throw new IllegalStateException("another DOCA entry operation waits in the place of token " + token.address());
        }
        tokens[place] = token.address();
        statuses[place] = DocaAbi.DOCA_FLOW_ENTRY_STATUS_IN_PROCESS;
    }

    /**
     * The status reported for {@code token}: SUCCESS or ERROR, after which the token is
     * forgotten; IN_PROCESS while DOCA has not reported it.
     */
    int outcome(MemorySegment token) {
        int place = place(token.address());
        if (tokens[place] != token.address()) {
            return DocaAbi.DOCA_FLOW_ENTRY_STATUS_IN_PROCESS;
        }
        int status = statuses[place];
        if (status != DocaAbi.DOCA_FLOW_ENTRY_STATUS_IN_PROCESS) {
            tokens[place] = 0;
        }
        return status;
    }

    /** Stops waiting for {@code token}: a late report of it is then counted as unknown. */
    void abandon(MemorySegment token) {
        int place = place(token.address());
        if (tokens[place] == token.address()) {
            tokens[place] = 0;
        }
    }

    /** Operations given a token and neither taken nor abandoned: zero between inserts. */
    int waiting() {
        int n = 0;
        for (long token : tokens) {
            n += token != 0 ? 1 : 0;
        }
        return n;
    }

    /** Reports whose {@code usr_ctx} was no pending token: ignored. */
    long unknownReports() {
        return unknown;
    }

    /** Callbacks that threw inside Java and were stopped at the upcall boundary. */
    long failedCallbacks() {
        return failedCallbacks;
    }

    private void report(long token, int status, int op) {
        int place = place(token);
        boolean awaited = op == DocaAbi.DOCA_FLOW_ENTRY_OP_ADD || op == DocaAbi.DOCA_FLOW_ENTRY_OP_UPD;
        if (!awaited || token == 0 || tokens[place] != token) {
            // a removal's report, or an operation given up on: nothing waits for it
            if (awaited) {
                unknown++;
            }
            return;
        }
        statuses[place] = status;
    }

    private static int place(long token) {
        return (int) (token & (WAITING_MAX - 1));
    }

    @SuppressWarnings("unused") // the upcall's target
    private static void onEntry(MemorySegment entry, short queue, int status, int op, MemorySegment userContext) {
        EntryCompletions to = current;
        if (to == null) {
            return;
        }
        try {
            to.report(userContext.address(), status, op);
        } catch (Throwable t) {
            to.failedCallbacks++;
            try {
                log.error("the DOCA entry callback failed; the entry's outcome is lost and its insert will time out", t);
            } catch (Throwable ignored) {
                // nothing may escape an upcall
            }
        }
    }
}
