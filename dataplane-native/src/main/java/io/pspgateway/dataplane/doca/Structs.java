package io.pspgateway.dataplane.doca;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.MemoryLayout.PathElement.sequenceElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SequenceLayout;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Struct fields named by their C path ("outer.ip4.src_ip", "tun.psp.spi", "meta.u32[2]"),
 * through the unions DocaAbi names by convention: an IP header sits in arm {@code l3}, an L4
 * header in {@code l4}, the PSP header in {@code proto}. A value is narrowed to the field's
 * width; big-endian fields are written big-endian by their layout.
 *
 * <p>Resolving a path walks the layout, which costs far more than the write: code that writes
 * per entry keeps its fields as constants ({@link #field}); the pipeline, built once at start,
 * names them as it goes ({@link #set}).
 */
final class Structs {
    /** The union each C member sits in, in DocaAbi's naming. */
    private static final Map<String, String> ARM = Map.of("ip4", "l3", "ip6", "l3", "udp", "l4", "icmp", "l4", "psp", "proto");

    /** A resolved field: where it sits, its size, and its value layout (with its byte order) when it is a scalar. */
    record Field(String cPath, long offset, long size, ValueLayout value) {
        /** Sets the field in {@code struct} to {@code v}, narrowed to its width. */
        void set(MemorySegment struct, long v) {
            switch (value) {
                case ValueLayout.OfByte b -> struct.set(b, offset, (byte) v);
                case ValueLayout.OfBoolean b -> struct.set(b, offset, v != 0);
                case ValueLayout.OfShort s -> struct.set(s, offset, (short) v);
                case ValueLayout.OfInt i -> struct.set(i, offset, (int) v);
                case ValueLayout.OfLong l -> struct.set(l, offset, v);
                case null, default -> throw new IllegalArgumentException(cPath + " is not an integer field");
            }
        }

        /** Fills the field (an address, a MAC) with {@code bytes}, from its start. */
        void set(MemorySegment struct, byte[] bytes) {
            if (bytes.length > size) {
                throw new IllegalArgumentException(bytes.length + " bytes do not fit " + cPath);
            }
            MemorySegment.copy(bytes, 0, struct, ValueLayout.JAVA_BYTE, offset, bytes.length);
        }

        /** The field's bytes in {@code struct}. */
        MemorySegment in(MemorySegment struct) {
            return struct.asSlice(offset, size);
        }
    }

    private Structs() {
    }

    /** The field at {@code cPath} of {@code layout}; an indexed path ("u32[2]") is one element of its array. */
    static Field field(MemoryLayout layout, String cPath) {
        PathElement[] path = path(cPath);
        // select() takes no indexed element: the array's element layout gives it
        MemoryLayout selected = cPath.endsWith("]")
                ? ((SequenceLayout) layout.select(Arrays.copyOf(path, path.length - 1))).elementLayout()
                : layout.select(path);
        return new Field(cPath, layout.byteOffset(path), selected.byteSize(), selected instanceof ValueLayout v ? v : null);
    }

    /** Sets the field at {@code cPath} of {@code struct} (laid out as {@code layout}) to {@code value}. */
    static void set(MemorySegment struct, MemoryLayout layout, String cPath, long value) {
        field(layout, cPath).set(struct, value);
    }

    /** Fills the byte array field at {@code cPath} (an address, a MAC) with {@code bytes}. */
    static void set(MemorySegment struct, MemoryLayout layout, String cPath, byte[] bytes) {
        field(layout, cPath).set(struct, bytes);
    }

    /** Sets every byte of the field at {@code cPath} to 0xFF: "changeable, given per entry" in a template. */
    static void allOnes(MemorySegment struct, MemoryLayout layout, String cPath) {
        field(layout, cPath).in(struct).fill((byte) 0xFF);
    }

    private static PathElement[] path(String cPath) {
        List<PathElement> path = new ArrayList<>();
        for (String member : cPath.split("\\.")) {
            int index = member.indexOf('[');
            String name = index < 0 ? member : member.substring(0, index);
            if (ARM.containsKey(name)) {
                path.add(groupElement(ARM.get(name)));
            }
            path.add(groupElement(name));
            if (index >= 0) {
                path.add(sequenceElement(Long.parseLong(member.substring(index + 1, member.length() - 1))));
            }
        }
        return path.toArray(PathElement[]::new);
    }
}
