package io.pspgateway.dataplane.doca;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** The writer's struct memory: zero on every allocation, handed back by a closed operation, nested as a stack, bounded. */
class ScratchTest {
    @Test
    void everyAllocationStartsZeroEvenWhereAnEarlierOperationWrote() {
        try (Scratch scratch = new Scratch()) {
            try (Scratch.Operation first = scratch.operation()) {
                first.allocate(DocaAbi.ACTIONS).fill((byte) 0x5A);
            }
            assertEquals(0, scratch.inUse());
            try (Scratch.Operation second = scratch.operation()) {
                MemorySegment again = second.allocate(DocaAbi.ACTIONS);
                for (long i = 0; i < again.byteSize(); i++) {
                    assertEquals(0, again.get(JAVA_BYTE, i), "byte " + i);
                }
            }
        }
    }

    @Test
    void nestedOperationsKeepWhatTheOuterOneHoldsAndHandBackOnlyTheirOwn() {
        try (Scratch scratch = new Scratch(); Scratch.Operation outer = scratch.operation()) {
            MemorySegment match = outer.allocate(DocaAbi.MATCH);
            match.fill((byte) 1);
            long held = scratch.inUse();
            try (Scratch.Operation inner = scratch.operation()) {
                MemorySegment handle = inner.allocate(8, 8);
                assertTrue(handle.address() >= match.address() + match.byteSize(), "the inner one allocates above the outer's");
                assertEquals(0, handle.address() % 8, "aligned");
            }
            assertEquals(held, scratch.inUse());
            assertEquals(1, match.get(JAVA_BYTE, 0), "the outer operation's struct is untouched");
        }
    }

    @Test
    void anOperationThatWouldOverrunTheBlockIsRefusedAndAClosedOneGivesNothing() {
        try (Scratch scratch = new Scratch()) {
            Scratch.Operation op = scratch.operation();
            assertThrows(IllegalStateException.class, () -> op.allocate(Scratch.CAPACITY + 1, 1));
            op.close();
            assertThrows(IllegalStateException.class, () -> op.allocate(8, 8));
            assertEquals(0, scratch.inUse());
        }
    }
}
