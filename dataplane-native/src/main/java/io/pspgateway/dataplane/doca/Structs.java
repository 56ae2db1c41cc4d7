package io.pspgateway.dataplane.doca;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.MemoryLayout.PathElement.sequenceElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SequenceLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Writes struct fields named by their C path ("outer.ip4.src_ip", "tun.psp.spi",
 * "meta.u32[2]"), through the unions DocaAbi names by convention: an IP header sits in arm
 * {@code l3}, an L4 header in {@code l4}, the PSP header in {@code proto}. The value is narrowed
 * to the field's width; big-endian fields are written big-endian by their layout.
 */
final class Structs {
    /** The union each C member sits in, in DocaAbi's naming. */
    private static final Map<String, String> ARM = Map.of("ip4", "l3", "ip6", "l3", "udp", "l4", "icmp", "l4", "psp", "proto");

    private Structs() {
    }

    /** Sets the field at {@code cPath} of {@code struct} (laid out as {@code layout}) to {@code value}. */
    static void set(MemorySegment struct, MemoryLayout layout, String cPath, long value) {
        VarHandle handle = layout.varHandle(path(cPath));
        Class<?> type = handle.varType();
        if (type == byte.class) {
            handle.set(struct, 0L, (byte) value);
        } else if (type == boolean.class) {
            handle.set(struct, 0L, value != 0);
        } else if (type == short.class) {
            handle.set(struct, 0L, (short) value);
        } else if (type == int.class) {
            handle.set(struct, 0L, (int) value);
        } else if (type == long.class) {
            handle.set(struct, 0L, value);
        } else {
            throw new IllegalArgumentException(cPath + " is not an integer field");
        }
    }

    /** Fills the byte array field at {@code cPath} (an address, a MAC) with {@code bytes}. */
    static void set(MemorySegment struct, MemoryLayout layout, String cPath, byte[] bytes) {
        MemorySegment field = field(struct, layout, cPath);
        if (bytes.length > field.byteSize()) {
            throw new IllegalArgumentException(bytes.length + " bytes do not fit " + cPath);
        }
        MemorySegment.copy(bytes, 0, field, ValueLayout.JAVA_BYTE, 0, bytes.length);
    }

    /** Sets every byte of the field at {@code cPath} to 0xFF: "changeable, given per entry" in a template. */
    static void allOnes(MemorySegment struct, MemoryLayout layout, String cPath) {
        field(struct, layout, cPath).fill((byte) 0xFF);
    }

    /** The bytes of the field at {@code cPath}; an indexed path ("u32[2]") is one element of its array. */
    private static MemorySegment field(MemorySegment struct, MemoryLayout layout, String cPath) {
        PathElement[] path = path(cPath);
        long size;
        if (cPath.endsWith("]")) {
            // select() takes no indexed element: the array's element layout gives the size
            size = ((SequenceLayout) layout.select(Arrays.copyOf(path, path.length - 1))).elementLayout().byteSize();
        } else {
            size = layout.select(path).byteSize();
        }
        return struct.asSlice(layout.byteOffset(path), size);
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
