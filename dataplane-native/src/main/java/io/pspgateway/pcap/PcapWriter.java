package io.pspgateway.pcap;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes classic libpcap files exactly as libpcap's pcap_dump does on a little-endian host:
 * microsecond magic, version 2.4, zero time zone and sigfigs, the given snap length, Ethernet.
 * Files written here are byte-identical to those of tools built on libpcap.
 */
public final class PcapWriter implements AutoCloseable {
    /** The snap length Google's reference PSP tools write (a jumbo Ethernet frame, 9014). */
    public static final int REFERENCE_SNAPLEN = 9014;

    private final OutputStream out;
    private final ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);

    private PcapWriter(OutputStream out, int snapLength) throws IOException {
        this.out = out;
        header.putInt(0xA1B2C3D4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0)
                .putInt(snapLength).putInt(PcapReader.LINKTYPE_ETHERNET);
        out.write(header.array(), 0, 24);
    }

    /** Creates (or truncates) {@code file}; the caller closes the writer. */
    public static PcapWriter create(Path file, int snapLength) throws IOException {
        OutputStream stream = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
        try {
            return new PcapWriter(stream, snapLength);
        } catch (IOException e) {
            stream.close();
            throw e;
        }
    }

    /** Writes to {@code out}; closing the writer closes it. */
    public static PcapWriter of(OutputStream out, int snapLength) throws IOException {
        return new PcapWriter(out, snapLength);
    }

    /** Appends one record. */
    public void write(PcapRecord record) throws IOException {
        header.clear();
        header.putInt((int) record.seconds()).putInt(record.micros())
                .putInt(record.data().length).putInt(record.originalLength());
        out.write(header.array(), 0, 16);
        out.write(record.data());
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
