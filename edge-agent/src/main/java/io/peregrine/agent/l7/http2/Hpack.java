package io.peregrine.agent.l7.http2;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * An HPACK decoder (RFC 7541) for one direction of one captured connection prefix, or of a whole
 * connection ({@link Http2Connection}, which gives it every header block in order): the static
 * table, Huffman strings and a dynamic table built from the header blocks it is given, in order.
 *
 * <p>It keeps only what the HTTP/2 decoder reads: the values of the {@link #NAMES wanted header
 * names}; other fields are parsed (and, when indexed, sized into the dynamic table) without being
 * copied. A capture usually starts in the middle of a connection, so an index may refer to an entry
 * added before the capture: such a field is skipped (its name and value are unknown), an entry with
 * an unknown name is still added so later indices stay right, and decoding goes on. A malformed or
 * cut representation ends the block. Nothing here throws on any input.
 */
final class Hpack {

    /** The header names whose values are kept, by their index in a decoded block. */
    static final String[] NAMES = {
        ":method", ":path", ":authority", ":status", "content-type", "grpc-status", "traceparent", "host"};
    static final int METHOD = 0;
    static final int PATH = 1;
    static final int AUTHORITY = 2;
    static final int STATUS = 3;
    static final int CONTENT_TYPE = 4;
    static final int GRPC_STATUS = 5;
    static final int TRACEPARENT = 6;
    static final int HOST = 7;
    private static final int OTHER = -1;
    private static final int UNKNOWN = -2;
    private static final byte[][] NAME_BYTES = new byte[NAMES.length][];
    /** The wanted names Huffman-coded: a coded literal name is matched without decoding it. */
    private static final byte[][] NAME_HUFFMAN = new byte[NAMES.length][];

    /** RFC 7541 Appendix A: name and value of static entries 1..61. */
    private static final String[][] STATIC = {
        {":authority", ""}, {":method", "GET"}, {":method", "POST"}, {":path", "/"},
        {":path", "/index.html"}, {":scheme", "http"}, {":scheme", "https"}, {":status", "200"},
        {":status", "204"}, {":status", "206"}, {":status", "304"}, {":status", "400"},
        {":status", "404"}, {":status", "500"}, {"accept-charset", ""}, {"accept-encoding", "gzip, deflate"},
        {"accept-language", ""}, {"accept-ranges", ""}, {"accept", ""}, {"access-control-allow-origin", ""},
        {"age", ""}, {"allow", ""}, {"authorization", ""}, {"cache-control", ""},
        {"content-disposition", ""}, {"content-encoding", ""}, {"content-language", ""}, {"content-length", ""},
        {"content-location", ""}, {"content-range", ""}, {"content-type", ""}, {"cookie", ""},
        {"date", ""}, {"etag", ""}, {"expect", ""}, {"expires", ""},
        {"from", ""}, {"host", ""}, {"if-match", ""}, {"if-modified-since", ""},
        {"if-none-match", ""}, {"if-range", ""}, {"if-unmodified-since", ""}, {"last-modified", ""},
        {"link", ""}, {"location", ""}, {"max-forwards", ""}, {"proxy-authenticate", ""},
        {"proxy-authorization", ""}, {"range", ""}, {"referer", ""}, {"refresh", ""},
        {"retry-after", ""}, {"server", ""}, {"set-cookie", ""}, {"strict-transport-security", ""},
        {"transfer-encoding", ""}, {"user-agent", ""}, {"vary", ""}, {"via", ""},
        {"www-authenticate", ""}};
    static final int STATIC_SIZE = STATIC.length;
    private static final int[] STATIC_NAME_ID = new int[STATIC_SIZE + 1];
    private static final int[] STATIC_NAME_LEN = new int[STATIC_SIZE + 1];
    private static final byte[][] STATIC_VALUE = new byte[STATIC_SIZE + 1][];

    /** The largest table size an encoder may ask for that we honour (bounds memory on garbage). */
    private static final int MAX_TABLE_SIZE = 1 << 16;
    private static final int DEFAULT_TABLE_SIZE = 4096;
    private static final int ENTRY_OVERHEAD = 32;

    static {
        for (int i = 0; i < NAMES.length; i++) {
            NAME_BYTES[i] = NAMES[i].getBytes(StandardCharsets.ISO_8859_1);
            NAME_HUFFMAN[i] = Huffman.encode(NAMES[i]);
        }
        for (int i = 1; i <= STATIC_SIZE; i++) {
            String name = STATIC[i - 1][0];
            STATIC_NAME_ID[i] = OTHER;
            for (int k = 0; k < NAMES.length; k++) {
                if (NAMES[k].equals(name)) {
                    STATIC_NAME_ID[i] = k;
                }
            }
            STATIC_NAME_LEN[i] = name.length();
            STATIC_VALUE[i] = STATIC[i - 1][1].getBytes(StandardCharsets.ISO_8859_1);
        }
    }

    // Dynamic table, oldest first in [start, end): name id, name length, value (kept only for
    // wanted names), entry size. Allocated at the first entry.
    private int[] nameId;
    private int[] nameLen;
    private byte[][] value;
    private int[] entrySize;
    /**
     * Where the Huffman-coded value of an entry whose name is not wanted lies (its source array,
     * offset << 32 | length), while its size is only the upper bound its encoded length gives;
     * null once exact. Decoding such values only to size them is most of the cost of a block, and
     * sizes matter only when the table could be full, so they are decoded then
     * ({@link #makeSizesExact}).
     */
    private byte[][] valueSource;
    private long[] valueAt;
    private int start;
    private int end;
    /** Sum of the entry sizes; an upper bound while {@link #inexact} is not 0. */
    private int tableSize;
    private int inexact;
    private int maxTableSize = DEFAULT_TABLE_SIZE;
    /** Scratch for literal names and values. */
    private byte[] scratch = new byte[64];
    /**
     * The decoder of a whole connection ({@link Http2Connection}): entry sizes are made exact as
     * entries are added, since the blocks they came from are not kept.
     */
    private final boolean exactSizes;

    /** A decoder for captured prefixes, reset per exchange. */
    Hpack() {
        this(false);
    }

    Hpack(boolean exactSizes) {
        this.exactSizes = exactSizes;
    }

    /** Empties the dynamic table and forgets the blocks decoded so far, to decode another capture. */
    void reset() {
        if (nameId != null) {
            Arrays.fill(value, start, end, null);
            Arrays.fill(valueSource, start, end, null);
        }
        start = 0;
        end = 0;
        tableSize = 0;
        inexact = 0;
        maxTableSize = DEFAULT_TABLE_SIZE;
    }

    /**
     * Decodes the header block {@code buf[from, to)}, storing in {@code into[id]} the first value of
     * each wanted name it holds (when {@code into} is null the block only updates the table).
     * Returns true when the whole block was read and every index it used was known; false when it
     * was malformed or cut (decoding stopped there) or referred to entries this table never saw.
     */
    boolean decodeBlock(byte[] buf, int from, int to, byte[][] into) {
        int[] pos = {from};
        boolean known = true;
        while (pos[0] < to) {
            int b = buf[pos[0]] & 0xFF;
            if ((b & 0x80) != 0) {
                int index = readInt(buf, pos, to, 7);
                if (index <= 0) {
                    return false;
                }
                int id = nameIdAt(index);
                known &= id != UNKNOWN;
                emit(into, id, valueAt(index));
            } else if ((b & 0xE0) == 0x20) {
                int size = readInt(buf, pos, to, 5);
                if (size < 0 || size > MAX_TABLE_SIZE) {
                    return false;
                }
                maxTableSize = size;
                evict(0);
            } else {
                boolean indexing = (b & 0xC0) == 0x40;
                int index = readInt(buf, pos, to, indexing ? 6 : 4);
                if (index < 0) {
                    return false;
                }
                int id;
                int nLen;
                if (index == 0) {
                    boolean huffman = pos[0] < to && (buf[pos[0]] & 0x80) != 0;
                    int encoded = readInt(buf, pos, to, 7);
                    if (encoded < 0 || pos[0] + encoded > to) {
                        return false;
                    }
                    int nameFrom = pos[0];
                    pos[0] += encoded;
                    id = wantedName(huffman ? NAME_HUFFMAN : NAME_BYTES, buf, nameFrom, encoded);
                    if (id >= 0) {
                        nLen = NAME_BYTES[id].length;
                    } else if (!huffman) {
                        nLen = encoded;
                    } else if (indexing) {
                        nLen = Huffman.decode(buf, nameFrom, nameFrom + encoded, null);
                        if (nLen < 0) {
                            return false;
                        }
                    } else {
                        nLen = 0; // not wanted, not indexed: its length matters to nobody
                    }
                } else {
                    id = nameIdAt(index);
                    nLen = nameLenAt(index);
                    known &= id != UNKNOWN;
                }
                boolean keep = id >= 0 && into != null && into[id] == null;
                if (id >= 0 && (keep || indexing)) {
                    byte[] v = readValue(buf, pos, to);
                    if (v == null) {
                        return false;
                    }
                    if (keep) {
                        into[id] = v;
                    }
                    if (indexing) {
                        add(id, nLen, v, nLen + v.length + ENTRY_OVERHEAD, null, 0);
                    }
                    continue;
                }
                // a value nobody reads: skipped, and sized exactly only when it is not Huffman-coded
                boolean huffman = pos[0] < to && (buf[pos[0]] & 0x80) != 0;
                int encoded = readInt(buf, pos, to, 7);
                if (encoded < 0 || pos[0] + encoded > to) {
                    return false;
                }
                int valueFrom = pos[0];
                pos[0] += encoded;
                if (indexing) {
                    if (huffman) {
                        add(id, nLen, null, nLen + Huffman.maxDecodedLength(encoded) + ENTRY_OVERHEAD, buf,
                                ((long) valueFrom << 32) | encoded);
                    } else {
                        add(id, nLen, null, nLen + encoded + ENTRY_OVERHEAD, null, 0);
                    }
                }
            }
        }
        return known;
    }

    private static void emit(byte[][] into, int id, byte[] v) {
        if (into != null && id >= 0 && into[id] == null && v != null) {
            into[id] = v;
        }
    }

    /** Number of entries in the dynamic table. */
    int dynamicEntries() {
        return end - start;
    }

    private int nameIdAt(int index) {
        if (index <= STATIC_SIZE) {
            return STATIC_NAME_ID[index];
        }
        int k = end - 1 - (index - STATIC_SIZE - 1);
        return k >= start ? nameId[k] : UNKNOWN;
    }

    private int nameLenAt(int index) {
        if (index <= STATIC_SIZE) {
            return STATIC_NAME_LEN[index];
        }
        int k = end - 1 - (index - STATIC_SIZE - 1);
        return k >= start ? nameLen[k] : 0;
    }

    private byte[] valueAt(int index) {
        if (index <= STATIC_SIZE) {
            return STATIC_VALUE[index];
        }
        int k = end - 1 - (index - STATIC_SIZE - 1);
        return k >= start ? value[k] : null;
    }

    /**
     * Adds an entry; {@code source} non-null means {@code size} is an upper bound and the value's
     * Huffman string is at {@code at} (offset << 32 | length) in it.
     */
    private void add(int id, int nLen, byte[] v, int size, byte[] source, long at) {
        if (source != null && (exactSizes || tableSize + size > maxTableSize)) {
            size = nLen + decodedLength(source, at) + ENTRY_OVERHEAD;
            source = null;
        }
        evict(size);
        if (size > maxTableSize) {
            return; // RFC 7541 4.4: an entry larger than the table empties it and is not added
        }
        if (nameId == null) {
            nameId = new int[8];
            nameLen = new int[8];
            value = new byte[8][];
            entrySize = new int[8];
            valueSource = new byte[8][];
            valueAt = new long[8];
        } else if (end == nameId.length) {
            int live = end - start;
            int capacity = live * 2 > nameId.length ? nameId.length * 2 : nameId.length;
            nameId = compact(nameId, capacity);
            nameLen = compact(nameLen, capacity);
            entrySize = compact(entrySize, capacity);
            value = compact(value, capacity);
            valueSource = compact(valueSource, capacity);
            long[] at2 = new long[capacity];
            System.arraycopy(valueAt, start, at2, 0, live);
            valueAt = at2;
            start = 0;
            end = live;
        }
        nameId[end] = id;
        nameLen[end] = nLen;
        value[end] = v;
        entrySize[end] = size;
        valueSource[end] = source;
        valueAt[end] = at;
        if (source != null) {
            inexact++;
        }
        end++;
        tableSize += size;
    }

    private int[] compact(int[] a, int capacity) {
        int[] b = new int[capacity];
        System.arraycopy(a, start, b, 0, end - start);
        return b;
    }

    private byte[][] compact(byte[][] a, int capacity) {
        byte[][] b = new byte[capacity][];
        System.arraycopy(a, start, b, 0, end - start);
        return b;
    }

    /** Evicts the oldest entries until {@code room} more octets fit. */
    private void evict(int room) {
        if (inexact > 0 && tableSize + room > maxTableSize) {
            makeSizesExact();
        }
        while (start < end && tableSize + room > maxTableSize) {
            tableSize -= entrySize[start];
            value[start] = null;
            if (valueSource[start] != null) {
                valueSource[start] = null;
                inexact--;
            }
            start++;
        }
    }

    private void makeSizesExact() {
        for (int k = start; k < end; k++) {
            if (valueSource[k] != null) {
                int exact = nameLen[k] + decodedLength(valueSource[k], valueAt[k]) + ENTRY_OVERHEAD;
                tableSize += exact - entrySize[k];
                entrySize[k] = exact;
                valueSource[k] = null;
            }
        }
        inexact = 0;
    }

    /** Octets of the Huffman string at {@code at}; an invalid one counts as empty (it ended the block's use). */
    private static int decodedLength(byte[] source, long at) {
        int from = (int) (at >>> 32);
        return Math.max(0, Huffman.decode(source, from, from + (int) at, null));
    }

    private static int wantedName(byte[][] names, byte[] buf, int from, int len) {
        for (int k = 0; k < names.length; k++) {
            byte[] n = names[k];
            if (n.length == len && Arrays.equals(n, 0, len, buf, from, from + len)) {
                return k;
            }
        }
        return OTHER;
    }

    /**
     * Reads an HPACK integer with an {@code n}-bit prefix at {@code pos[0]}, advancing it; -1 when
     * cut or larger than 2^24 (no sane index, length or size is).
     */
    static int readInt(byte[] buf, int[] pos, int to, int n) {
        int p = pos[0];
        if (p >= to) {
            return -1;
        }
        int max = (1 << n) - 1;
        int value = buf[p++] & max;
        if (value == max) {
            int shift = 0;
            while (true) {
                if (p >= to || shift > 21) {
                    return -1;
                }
                int b = buf[p++] & 0xFF;
                value += (b & 0x7F) << shift;
                shift += 7;
                if ((b & 0x80) == 0) {
                    break;
                }
            }
            if (value > 1 << 24) {
                return -1;
            }
        }
        pos[0] = p;
        return value;
    }

    /**
     * Reads a string literal at {@code pos[0]} into {@link #scratch} and returns its length; -1
     * when cut or invalid.
     */
    private int readString(byte[] buf, int[] pos, int to) {
        int p = pos[0];
        if (p >= to) {
            return -1;
        }
        boolean huffman = (buf[p] & 0x80) != 0;
        int len = readInt(buf, pos, to, 7);
        if (len < 0 || pos[0] + len > to) {
            return -1;
        }
        int from = pos[0];
        pos[0] = from + len;
        int max = huffman ? Huffman.maxDecodedLength(len) : len;
        if (scratch.length < max) {
            scratch = new byte[Math.max(max, scratch.length * 2)];
        }
        if (!huffman) {
            System.arraycopy(buf, from, scratch, 0, len);
            return len;
        }
        return Huffman.decode(buf, from, from + len, scratch);
    }

    /** Reads a string literal into a new array; null when cut or invalid. */
    private byte[] readValue(byte[] buf, int[] pos, int to) {
        int len = readString(buf, pos, to);
        return len < 0 ? null : Arrays.copyOf(scratch, len);
    }
}
