package io.peregrine.agent.l7.http2;

import java.io.ByteArrayOutputStream;

/**
 * The HPACK Huffman code (RFC 7541 Appendix B), decoding only. The code is canonical (codes of one
 * length are consecutive, in symbol order, and shorter codes sort first), so the table is just the
 * code length of each symbol and the codes are derived from it; a 256-entry table decodes the
 * codes of up to 8 bits (the common characters) in one step.
 */
final class Huffman {

    /** Code length in bits of symbols 0..255 and EOS (256), from RFC 7541 Appendix B. */
    private static final byte[] LENGTHS = {
        13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
        28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
        6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
        5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
        13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
        7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
        15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
        6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
        20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
        24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
        22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
        21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
        26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
        19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
        20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
        26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
        30};

    private static final int MAX_LENGTH = 30;
    private static final int EOS = 256;
    /** First code of each length, number of codes of that length, their index in SYMBOLS. */
    private static final int[] FIRST_CODE = new int[MAX_LENGTH + 1];
    private static final int[] COUNT = new int[MAX_LENGTH + 1];
    private static final int[] OFFSET = new int[MAX_LENGTH + 1];
    private static final short[] SYMBOLS = new short[257];
    /** For each value of the next 8 bits: (symbol << 8) | length for codes of up to 8 bits, else 0. */
    private static final int[] FAST = new int[256];

    static {
        int code = 0;
        int n = 0;
        for (int len = 1; len <= MAX_LENGTH; len++) {
            FIRST_CODE[len] = code;
            OFFSET[len] = n;
            for (int s = 0; s <= EOS; s++) {
                if (LENGTHS[s] == len) {
                    SYMBOLS[n++] = (short) s;
                    if (len <= 8) {
                        int first = code << (8 - len);
                        for (int k = 0; k < 1 << (8 - len); k++) {
                            FAST[first + k] = (s << 8) | len;
                        }
                    }
                    code++;
                    COUNT[len]++;
                }
            }
            code <<= 1;
        }
    }

    private Huffman() {
    }

    /**
     * Decodes {@code src[from, to)} into {@code dst} from index 0, or when {@code dst} is null only
     * counts the octets. Returns the number of octets, or -1 when the input is not a valid
     * Huffman string (EOS inside, padding longer than 7 bits or not all ones) or {@code dst} is too
     * small. {@link #maxDecodedLength} octets always suffice.
     */
    static int decode(byte[] src, int from, int to, byte[] dst) {
        long acc = 0;
        int bits = 0;
        int i = from;
        int out = 0;
        while (true) {
            while (bits <= 56 && i < to) {
                acc = (acc << 8) | (src[i++] & 0xFF);
                bits += 8;
            }
            if (bits == 0) {
                return out;
            }
            int peek8 = bits >= 8 ? (int) (acc >>> (bits - 8)) & 0xFF
                    : (int) ((acc << (8 - bits)) | ((1 << (8 - bits)) - 1)) & 0xFF;
            int fast = FAST[peek8];
            int symbol;
            int len;
            if (fast != 0 && (fast & 0xFF) <= bits) {
                symbol = fast >>> 8;
                len = fast & 0xFF;
            } else {
                symbol = -1;
                len = 0;
                for (int l = 9; l <= Math.min(bits, MAX_LENGTH); l++) {
                    int c = (int) (acc >>> (bits - l)) & ((1 << l) - 1);
                    int k = c - FIRST_CODE[l];
                    if (k >= 0 && k < COUNT[l]) {
                        symbol = SYMBOLS[OFFSET[l] + k];
                        len = l;
                        break;
                    }
                }
                if (symbol < 0) {
                    // what is left must be padding: fewer than 8 bits, all ones (a prefix of EOS)
                    long mask = (1L << bits) - 1;
                    return i == to && bits < 8 && (acc & mask) == mask ? out : -1;
                }
            }
            if (symbol == EOS) {
                return -1;
            }
            if (dst != null) {
                if (out == dst.length) {
                    return -1;
                }
                dst[out] = (byte) symbol;
            }
            out++;
            bits -= len;
            acc &= (1L << bits) - 1;
        }
    }

    /**
     * The Huffman encoding of {@code s} (ASCII), padded with ones as every encoder must; the
     * encoding is unique, so an encoded literal equals it exactly when it decodes to {@code s}.
     */
    static byte[] encode(String s) {
        int[] code = new int[EOS + 1];
        for (int len = 1; len <= MAX_LENGTH; len++) {
            for (int k = 0; k < COUNT[len]; k++) {
                code[SYMBOLS[OFFSET[len] + k]] = FIRST_CODE[len] + k;
            }
        }
        long acc = 0;
        int bits = 0;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < s.length(); i++) {
            int c = s.charAt(i);
            acc = (acc << LENGTHS[c]) | code[c];
            bits += LENGTHS[c];
            while (bits >= 8) {
                out.write((int) (acc >>> (bits - 8)));
                bits -= 8;
            }
        }
        if (bits > 0) {
            out.write((int) ((acc << (8 - bits)) | ((1 << (8 - bits)) - 1)));
        }
        return out.toByteArray();
    }

    /** An upper bound of the decoded length of {@code n} encoded octets (5 bits is the shortest code). */
    static int maxDecodedLength(int n) {
        return n * 8 / 5 + 1;
    }
}
