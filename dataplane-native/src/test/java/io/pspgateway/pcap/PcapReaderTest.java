package io.pspgateway.pcap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class PcapReaderTest {

    private static byte[] file(ByteOrder order, int magic, int capLen, int origLen, int dataBytes) {
        ByteBuffer b = ByteBuffer.allocate(24 + 16 + dataBytes).order(order);
        b.putInt(magic).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(65535).putInt(1);
        b.putInt(1_650_000_000).putInt(magic == 0xA1B23C4D ? 123_456_789 : 123_456).putInt(capLen).putInt(origLen);
        for (int i = 0; i < dataBytes; i++) {
            b.put((byte) i);
        }
        return b.array();
    }

    private static String error(byte[] bytes) {
        return assertThrows(PcapFormatException.class, () -> {
            try (PcapReader r = PcapReader.of(new ByteArrayInputStream(bytes), "f.pcap")) {
                while (r.next() != null) {
                    // read to the end
                }
            }
        }).getMessage();
    }

    @Test
    void readsBothByteOrdersAndNanosecondFiles() throws IOException {
        for (ByteOrder order : new ByteOrder[] {ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN}) {
            for (int magic : new int[] {0xA1B2C3D4, 0xA1B23C4D}) {
                try (PcapReader r = PcapReader.of(new ByteArrayInputStream(file(order, magic, 4, 4, 4)), "f")) {
                    PcapRecord rec = r.next();
                    assertEquals(1_650_000_000L, rec.seconds());
                    assertEquals(123_456, rec.micros());
                    assertArrayEquals(new byte[] {0, 1, 2, 3}, rec.data());
                    assertNull(r.next());
                }
            }
        }
    }

    @Test
    void writerRoundTripsWhatTheReaderReads() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PcapRecord rec = new PcapRecord(7, 8, 3, new byte[] {9, 8, 7});
        try (PcapWriter w = PcapWriter.of(out, 9014)) {
            w.write(rec);
        }
        try (PcapReader r = PcapReader.of(new ByteArrayInputStream(out.toByteArray()), "f")) {
            assertEquals(rec.seconds(), r.next().seconds());
        }
        assertEquals(24 + 16 + 3, out.size());
    }

    @Test
    void brokenFilesSayWhatIsWrong() {
        assertEquals("f.pcap: not a pcap file (only 2 bytes)", error(new byte[] {1, 2}));
        assertEquals("f.pcap: not a pcap file (magic 0x01020304)", error(new byte[] {1, 2, 3, 4, 5}));
        assertEquals("f.pcap: pcapng is not supported; convert it with 'editcap -F pcap IN OUT' (Wireshark) first",
                error(new byte[] {0x0A, 0x0D, 0x0D, 0x0A, 0, 0, 0, 0}));
        byte[] good = file(ByteOrder.LITTLE_ENDIAN, 0xA1B2C3D4, 4, 4, 4);
        assertEquals("f.pcap: pcap header truncated at 10 of 24 bytes", error(java.util.Arrays.copyOf(good, 10)));
        assertEquals("f.pcap: record 1 header truncated at 6 of 16 bytes", error(java.util.Arrays.copyOf(good, 30)));
        assertEquals("f.pcap: record 1 truncated: file ends inside its 4 bytes", error(java.util.Arrays.copyOf(good, 42)));
        assertEquals("f.pcap: record 1 claims 4294967295 bytes, more than the 262144 this reader accepts",
                error(file(ByteOrder.LITTLE_ENDIAN, 0xA1B2C3D4, -1, 4, 4)));
        assertEquals("f.pcap: record 1 captured 4 bytes of a 2-byte frame",
                error(file(ByteOrder.LITTLE_ENDIAN, 0xA1B2C3D4, 4, 2, 4)));
    }
}
