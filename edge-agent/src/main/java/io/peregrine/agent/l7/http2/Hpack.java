package io.peregrine.agent.l7.http2;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * An HPACK decoder (RFC 7541) for one direction of one captured connection prefix: the static
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
    // wanted names), entry size.
    private int[] nameId = new int[16];
    private int[] nameLen = new int[16];
    private byte[][] value = new byte[16][];
    private int[] entrySize = new int[16];
    private int start;
    private int end;
    private int tableSize;
    private int maxTableSize = DEFAULT_TABLE_SIZE;
    /** Scratch for literal names and for values only measured. */
    private byte[] scratch = new byte[64];

    /**
     * Decodes the header block {@code buf[from, to)}, storing in {@code into[id]} the first value of
     * each wanted name it holds (when {@code into} is null the block only updates the table).
     */
    void decodeBlock(byte[] buf, int from, int to, byte[][] into) {
        int[] pos = {from};
        while (pos[0] < to) {
            int b = buf[pos[0]] & 0xFF;
            if ((b & 0x80) != 0) {
                int index = readInt(buf, pos, to, 7);
                if (index <= 0) {
                    return;
                }
                emit(into, nameIdAt(index), valueAt(index));
            } else if ((b & 0xE0) == 0x20) {
                int size = readInt(buf, pos, to, 5);
                if (size < 0 || size > MAX_TABLE_SIZE) {
                    return;
                }
                maxTableSize = size;
                evict(0);
            } else {
                boolean indexing = (b & 0xC0) == 0x40;
                int index = readInt(buf, pos, to, indexing ? 6 : 4);
                if (index < 0) {
                    return;
                }
                int id;
                int nLen;
                if (index == 0) {
                    nLen = readString(buf, pos, to, true);
                    if (nLen < 0) {
                        return;
                    }
                    id = wantedName(scratch, nLen);
                } else {
                    id = nameIdAt(index);
                    nLen = nameLenAt(index);
                }
                boolean keep = id >= 0 && into != null && into[id] == null;
                byte[] v = null;
                int vLen;
                if (id >= 0 && (keep || indexing)) {
                    v = readValue(buf, pos, to);
                    if (v == null) {
                        return;
                    }
                    vLen = v.length;
                } else {
                    vLen = readString(buf, pos, to, false);
                }
                if (vLen < 0) {
                    return;
                }
                if (keep) {
                    into[id] = v;
                }
                if (indexing) {
                    add(id, nLen, id >= 0 ? v : null, nLen + vLen + ENTRY_OVERHEAD);
                }
            }
        }
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

    private void add(int id, int nLen, byte[] v, int size) {
        evict(size);
        if (size > maxTableSize) {
            return; // RFC 7541 4.4: an entry larger than the table empties it and is not added
        }
        if (end == nameId.length) {
            int live = end - start;
            int capacity = live * 2 > nameId.length ? nameId.length * 2 : nameId.length;
            nameId = compact(nameId, capacity);
            nameLen = compact(nameLen, capacity);
            entrySize = compact(entrySize, capacity);
            byte[][] values = new byte[capacity][];
            System.arraycopy(value, start, values, 0, live);
            value = values;
            start = 0;
            end = live;
        }
        nameId[end] = id;
        nameLen[end] = nLen;
        value[end] = v;
        entrySize[end] = size;
        end++;
        tableSize += size;
    }

    private int[] compact(int[] a, int capacity) {
        int[] b = new int[capacity];
        System.arraycopy(a, start, b, 0, end - start);
        return b;
    }

    /** Evicts the oldest entries until {@code room} more octets fit. */
    private void evict(int room) {
        while (start < end && tableSize + room > maxTableSize) {
            tableSize -= entrySize[start];
            value[start] = null;
            start++;
        }
    }

    private int wantedName(byte[] name, int len) {
        for (int k = 0; k < NAME_BYTES.length; k++) {
            byte[] n = NAME_BYTES[k];
            if (n.length == len && Arrays.equals(n, 0, len, name, 0, len)) {
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
     * Reads a string literal at {@code pos[0]} and returns its decoded length, decoding it into
     * {@link #scratch} when {@code decode} (else a raw string is only skipped); -1 when cut or
     * invalid.
     */
    private int readString(byte[] buf, int[] pos, int to, boolean decode) {
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
        if (!huffman) {
            if (decode) {
                if (scratch.length < len) {
                    scratch = new byte[Math.max(len, scratch.length * 2)];
                }
                System.arraycopy(buf, from, scratch, 0, len);
            }
            return len;
        }
        if (!decode) {
            return Huffman.decode(buf, from, from + len, null);
        }
        int max = Huffman.maxDecodedLength(len);
        if (scratch.length < max) {
            scratch = new byte[Math.max(max, scratch.length * 2)];
        }
        return Huffman.decode(buf, from, from + len, scratch);
    }

    /** Reads a string literal into a new array; null when cut or invalid. */
    private byte[] readValue(byte[] buf, int[] pos, int to) {
        int len = readString(buf, pos, to, true);
        return len < 0 ? null : Arrays.copyOf(scratch, len);
    }
}
