package io.pspgateway.pcap;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads classic libpcap files (either byte order, microsecond or nanosecond timestamps).
 * Nanosecond timestamps are truncated to microseconds, as libpcap does when it opens such a
 * file at its default precision. pcapng files are recognised and refused with a clear message.
 */
public final class PcapReader implements AutoCloseable {
    /** Link type of Ethernet (DLT_EN10MB). */
    public static final int LINKTYPE_ETHERNET = 1;
    /** Largest record this reader accepts; anything larger is a corrupt length field. */
    public static final int MAX_RECORD = 256 * 1024;

    private static final int MAGIC_MICROS = 0xA1B2C3D4;
    private static final int MAGIC_NANOS = 0xA1B23C4D;
    private static final int PCAPNG_SECTION = 0x0A0D0D0A;

    private final InputStream in;
    private final String name;
    private final ByteOrder order;
    private final boolean nanos;
    private final int linkType;
    private final byte[] recordHeader = new byte[16];
    private long recordNumber;

    private PcapReader(InputStream in, String name) throws IOException {
        this.in = in;
        this.name = name;
        byte[] global = new byte[24];
        int got = in.readNBytes(global, 0, global.length);
        if (got < 4) {
            throw new PcapFormatException(name + ": not a pcap file (only " + got + " bytes)");
        }
        int magicBe = ByteBuffer.wrap(global).order(ByteOrder.BIG_ENDIAN).getInt(0);
        int magicLe = ByteBuffer.wrap(global).order(ByteOrder.LITTLE_ENDIAN).getInt(0);
        if (magicBe == PCAPNG_SECTION) {
            throw new PcapFormatException(name + ": pcapng is not supported; convert it with "
                    + "'editcap -F pcap IN OUT' (Wireshark) first");
        }
        if (magicBe == MAGIC_MICROS || magicBe == MAGIC_NANOS) {
            order = ByteOrder.BIG_ENDIAN;
            nanos = magicBe == MAGIC_NANOS;
        } else if (magicLe == MAGIC_MICROS || magicLe == MAGIC_NANOS) {
            order = ByteOrder.LITTLE_ENDIAN;
            nanos = magicLe == MAGIC_NANOS;
        } else {
            throw new PcapFormatException(String.format("%s: not a pcap file (magic 0x%08x)", name, magicBe));
        }
        if (got < global.length) {
            throw new PcapFormatException(name + ": pcap header truncated at " + got + " of 24 bytes");
        }
        linkType = ByteBuffer.wrap(global).order(order).getInt(20) & 0x0FFFFFFF;
    }

    /** Opens {@code file}; the caller closes the reader. */
    public static PcapReader open(Path file) throws IOException {
        InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        try {
            return new PcapReader(in, file.toString());
        } catch (IOException e) {
            in.close();
            throw e;
        }
    }

    /** Reads a pcap stream; {@code name} appears in error messages. */
    public static PcapReader of(InputStream in, String name) throws IOException {
        return new PcapReader(in, name);
    }

    /** The file's link type (1 is Ethernet). */
    public int linkType() {
        return linkType;
    }

    /** The next record, or null at the end of the file. */
    public PcapRecord next() throws IOException {
        int got = in.readNBytes(recordHeader, 0, recordHeader.length);
        if (got == 0) {
            return null;
        }
        long index = ++recordNumber;
        if (got < recordHeader.length) {
            throw new PcapFormatException(name + ": record " + index + " header truncated at " + got + " of 16 bytes");
        }
        ByteBuffer h = ByteBuffer.wrap(recordHeader).order(order);
        long seconds = h.getInt(0) & 0xFFFFFFFFL;
        long fraction = h.getInt(4) & 0xFFFFFFFFL;
        long captured = h.getInt(8) & 0xFFFFFFFFL;
        long original = h.getInt(12) & 0xFFFFFFFFL;
        if (captured > MAX_RECORD || original > MAX_RECORD) {
            throw new PcapFormatException(name + ": record " + index + " claims " + Math.max(captured, original)
                    + " bytes, more than the " + MAX_RECORD + " this reader accepts");
        }
        if (original < captured) {
            throw new PcapFormatException(name + ": record " + index + " captured " + captured
                    + " bytes of a " + original + "-byte frame");
        }
        int micros = (int) (nanos ? fraction / 1000 : fraction);
        if (micros >= 1_000_000) {
            throw new PcapFormatException(name + ": record " + index + " has a sub-second timestamp of " + fraction);
        }
        byte[] data = new byte[(int) captured];
        try {
            if (in.readNBytes(data, 0, data.length) < data.length) {
                throw new EOFException();
            }
        } catch (EOFException e) {
            throw new PcapFormatException(name + ": record " + index + " truncated: file ends inside its "
                    + captured + " bytes");
        }
        return new PcapRecord(seconds, micros, (int) original, data);
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
