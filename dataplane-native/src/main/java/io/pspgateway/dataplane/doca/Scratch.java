package io.pspgateway.dataplane.doca;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;

/**
 * Native memory for the structs of one control operation (a match, its actions, a monitor, the
 * handle DOCA writes back), reused from one operation to the next: a confined arena with four
 * allocations cost about a third of an entry insert, more than the entry's two DOCA calls.
 *
 * <p>An {@link Operation} takes memory from the top of one block and, when it closes, zeroes what
 * it took and hands it back, so every segment it gives out starts zero, as an arena's would.
 * Operations nest as a stack. The memory lives until the operation closes, which the entry
 * queue's "live on return" needs: DOCA may read an entry's structs until it has reported it.
 *
 * <p>Threading: the data plane's single writer only, with no lock; the block is in a shared arena
 * because that writer may be a different thread from one call to the next. {@link DocaFlow} owns
 * it and frees it when it closes, after the last operation.
 */
final class Scratch implements AutoCloseable {
    /** The largest operation, an IPv6 encrypt entry with its tagging entry, takes under 4 KiB. */
    static final long CAPACITY = 16 * 1024;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment block = arena.allocate(CAPACITY, 64);
    private long top;

    /** The memory of one operation, handed back zeroed by {@link #close()}. */
    final class Operation implements SegmentAllocator, AutoCloseable {
        private final long mark = top;
        private boolean closed;

        private Operation() {
        }

        @Override
        public MemorySegment allocate(long byteSize, long byteAlignment) {
            if (closed) {
                throw new IllegalStateException("this scratch operation is closed");
            }
            long start = (top + byteAlignment - 1) & -byteAlignment;
            if (start + byteSize > CAPACITY) {
                throw new IllegalStateException("one DOCA operation needs more than " + CAPACITY + " bytes of structs");
            }
            top = start + byteSize;
            return block.asSlice(start, byteSize);
        }

        /** Zeroes what this operation took and hands it back; the operations nested in it must be closed first. */
        @Override
        public void close() {
            if (!closed) {
                closed = true;
                block.asSlice(mark, top - mark).fill((byte) 0);
                top = mark;
            }
        }
    }

    /** Starts an operation, on top of any open one. */
    Operation operation() {
        return new Operation();
    }

    /** Bytes held by open operations: zero between them. */
    long inUse() {
        return top;
    }

    /** Frees the block; no operation may be open or begun after. */
    @Override
    public void close() {
        arena.close();
    }
}
