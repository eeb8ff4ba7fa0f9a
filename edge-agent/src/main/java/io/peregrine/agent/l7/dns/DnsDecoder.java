package io.peregrine.agent.l7.dns;

import io.peregrine.agent.l7.Exchange;
import io.peregrine.agent.l7.ProtocolDecoder;
import io.peregrine.agent.procfs.IpAddress;
import io.peregrine.schema.DnsDetails;
import io.peregrine.schema.Protocol;
import java.util.ArrayList;
import java.util.List;

/**
 * DNS over UDP (the datagram is the message) and over TCP (each message after a two-byte length):
 * the opcode as method, the question name as resource, the rcode as status, and the A/AAAA answers
 * with their smallest TTL in {@link DnsDetails}, which name external services downstream.
 * SERVFAIL and REFUSED are errors; NXDOMAIN is an answer.
 *
 * <p>A query is recognised by its header (a query, one question, no answers) and a question that
 * parses to its end; the two framings are told apart by whether a length prefix matches. Names
 * follow compression pointers only backwards, so a corrupt pointer cannot loop.
 */
public final class DnsDecoder implements ProtocolDecoder {

    private static final int HEADER = 12;
    private static final int MAX_NAME = 255;
    private static final String[] OPCODES = {
        "QUERY", "IQUERY", "STATUS", "OPCODE3", "NOTIFY", "UPDATE", "DSO", "OPCODE7",
        "OPCODE8", "OPCODE9", "OPCODE10", "OPCODE11", "OPCODE12", "OPCODE13", "OPCODE14", "OPCODE15"};
    private static final String[] RCODES = {
        "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET",
        "NXRRSET", "NOTAUTH", "NOTZONE", "DSOTYPENI", "RCODE12", "RCODE13", "RCODE14", "RCODE15"};
    private static final int RCODE_SERVFAIL = 2;
    private static final int RCODE_REFUSED = 5;
    private static final int TYPE_A = 1;
    private static final int TYPE_AAAA = 28;

    @Override
    public Protocol protocol() {
        return Protocol.DNS;
    }

    @Override
    public boolean recognizes(byte[] request, int serverPort) {
        return queryStart(request) >= 0;
    }

    @Override
    public Exchange decode(byte[] request, byte[] response) {
        int q = queryStart(request);
        if (q < 0) {
            return null;
        }
        StringBuilder name = new StringBuilder(32);
        int afterName = readName(request, q + HEADER, q, name);
        int qtype = u16(request, afterName);
        String method = OPCODES[(request[q + 2] >> 3) & 0x0F];
        String questionName = name.length() == 0 ? "." : name.toString();
        String questionType = typeName(qtype);

        int r = messageStart(response, request.length > 0 && q == 2);
        if (r < 0 || response.length < r + HEADER || u16(response, r) != u16(request, q)
                || (response[r + 2] & 0x80) == 0) {
            return new Exchange(Protocol.DNS, method, questionName, null, null, null, false, null, null, null);
        }
        int rcode = response[r + 3] & 0x0F;
        List<String> ips = new ArrayList<>(2);
        int minTtl = readAnswers(response, r, ips);
        DnsDetails dns = DnsDetails.newBuilder()
                .setQuestionName(questionName)
                .setQuestionType(questionType)
                .setRcode(RCODES[rcode])
                .setAnswerIps(ips)
                .setAnswerTtlSeconds(ips.isEmpty() ? null : minTtl)
                .build();
        return new Exchange(Protocol.DNS, method, questionName, null, RCODES[rcode], rcode,
                rcode == RCODE_SERVFAIL || rcode == RCODE_REFUSED, null, dns, null);
    }

    /**
     * Offset of the DNS header of the query in {@code request} (0 for UDP, 2 after a TCP length
     * prefix), or -1 when it is not one query with a readable question.
     */
    private static int queryStart(byte[] request) {
        if (request.length >= 2 + HEADER && u16(request, 0) == request.length - 2 && isQuery(request, 2)) {
            return 2;
        }
        return isQuery(request, 0) ? 0 : -1;
    }

    /** Offset of the header of a response, preferring the framing the query used. */
    private static int messageStart(byte[] response, boolean tcp) {
        if (tcp && response.length >= 2 + HEADER && u16(response, 0) >= HEADER) {
            return 2;
        }
        return response.length >= HEADER ? 0 : -1;
    }

    private static boolean isQuery(byte[] m, int at) {
        if (m.length < at + HEADER + 5) {
            return false;
        }
        int flags = u16(m, at + 2);
        int opcode = (flags >> 11) & 0x0F;
        boolean query = (flags & 0x8000) == 0 && (opcode <= 2 || opcode == 4 || opcode == 5)
                && (flags & 0x000F) == 0 // rcode is 0 in a query
                && (flags & 0x0400) == 0; // AA is a response flag
        if (!query || u16(m, at + 4) != 1 || u16(m, at + 6) != 0 || u16(m, at + 8) > 1
                || u16(m, at + 10) > 2) {
            return false;
        }
        int end = readName(m, at + HEADER, at, null);
        if (end < 0 || end + 4 > m.length) {
            return false;
        }
        int qclass = u16(m, end + 2);
        return qclass == 1 || qclass == 3 || qclass == 254 || qclass == 255;
    }

    /**
     * Reads the name at {@code at} into {@code into} (lower case, labels joined by dots; null to
     * only validate) and returns the offset after it in the message, or -1 when it is malformed or
     * cut. Pointers must point strictly backwards (and inside the message starting at
     * {@code base}), which bounds the walk.
     */
    static int readName(byte[] m, int at, int base, StringBuilder into) {
        int end = -1;
        int length = 0;
        int pos = at;
        int limit = at; // a pointer must go below every position visited so far
        while (true) {
            if (pos >= m.length) {
                return -1;
            }
            int len = m[pos] & 0xFF;
            if (len == 0) {
                return end < 0 ? pos + 1 : end;
            }
            if ((len & 0xC0) == 0xC0) {
                if (pos + 1 >= m.length) {
                    return -1;
                }
                int target = base + (((len & 0x3F) << 8) | (m[pos + 1] & 0xFF));
                if (end < 0) {
                    end = pos + 2;
                }
                if (target >= limit) {
                    return -1;
                }
                limit = target;
                pos = target;
                continue;
            }
            if ((len & 0xC0) != 0 || pos + 1 + len > m.length) {
                return -1;
            }
            length += len + 1;
            if (length > MAX_NAME) {
                return -1;
            }
            if (into != null) {
                if (into.length() > 0) {
                    into.append('.');
                }
                appendLabel(m, pos + 1, pos + 1 + len, into);
            }
            pos += 1 + len;
            if (end < 0) {
                limit = pos;
            }
        }
    }

    private static void appendLabel(byte[] m, int from, int to, StringBuilder into) {
        for (int i = from; i < to; i++) {
            int c = m[i] & 0xFF;
            if (c >= 'A' && c <= 'Z') {
                into.append((char) (c + 32));
            } else if (c > ' ' && c < 0x7f && c != '.' && c != '\\') {
                into.append((char) c);
            } else {
                // as dig prints it: \DDD
                into.append('\\').append((char) ('0' + c / 100)).append((char) ('0' + c / 10 % 10))
                        .append((char) ('0' + c % 10));
            }
        }
    }

    /** Adds the A/AAAA answer addresses to {@code ips}; returns their smallest TTL. */
    private static int readAnswers(byte[] m, int r, List<String> ips) {
        int questions = u16(m, r + 4);
        int answers = u16(m, r + 6);
        int pos = r + HEADER;
        for (int i = 0; i < questions && pos >= 0; i++) {
            pos = readName(m, pos, r, null);
            pos = pos < 0 ? -1 : pos + 4;
        }
        int minTtl = Integer.MAX_VALUE;
        for (int i = 0; i < answers && pos >= 0; i++) {
            pos = readName(m, pos, r, null);
            if (pos < 0 || pos + 10 > m.length) {
                break;
            }
            int type = u16(m, pos);
            int ttl = (int) Math.min(Integer.MAX_VALUE, u32(m, pos + 4));
            int rdlength = u16(m, pos + 8);
            int rdata = pos + 10;
            if (rdata + rdlength > m.length) {
                break;
            }
            if (type == TYPE_A && rdlength == 4) {
                ips.add(IpAddress.ipv4((int) u32(m, rdata)).toString());
                minTtl = Math.min(minTtl, ttl);
            } else if (type == TYPE_AAAA && rdlength == 16) {
                ips.add(IpAddress.ipv6(u64(m, rdata), u64(m, rdata + 8)).toString());
                minTtl = Math.min(minTtl, ttl);
            }
            pos = rdata + rdlength;
        }
        return minTtl;
    }

    static String typeName(int type) {
        return switch (type) {
            case 1 -> "A";
            case 2 -> "NS";
            case 5 -> "CNAME";
            case 6 -> "SOA";
            case 12 -> "PTR";
            case 13 -> "HINFO";
            case 15 -> "MX";
            case 16 -> "TXT";
            case 28 -> "AAAA";
            case 33 -> "SRV";
            case 35 -> "NAPTR";
            case 41 -> "OPT";
            case 43 -> "DS";
            case 46 -> "RRSIG";
            case 47 -> "NSEC";
            case 48 -> "DNSKEY";
            case 64 -> "SVCB";
            case 65 -> "HTTPS";
            case 251 -> "IXFR";
            case 252 -> "AXFR";
            case 255 -> "ANY";
            case 257 -> "CAA";
            default -> "TYPE" + type;
        };
    }

    private static int u16(byte[] m, int at) {
        return ((m[at] & 0xFF) << 8) | (m[at + 1] & 0xFF);
    }

    private static long u32(byte[] m, int at) {
        return ((long) u16(m, at) << 16) | u16(m, at + 2);
    }

    private static long u64(byte[] m, int at) {
        return (u32(m, at) << 32) | u32(m, at + 4);
    }
}
