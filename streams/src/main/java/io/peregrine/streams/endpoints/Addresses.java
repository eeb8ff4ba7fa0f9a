package io.peregrine.streams.endpoints;

import java.util.Locale;

/** Classification of IP addresses in the canonical text form the agent writes. Pure functions. */
public final class Addresses {

    private Addresses() {
    }

    public static boolean isWildcard(String ip) {
        return "0.0.0.0".equals(ip) || "::".equals(ip);
    }

    public static boolean isLoopback(String ip) {
        return ip != null && (ip.startsWith("127.") || "::1".equals(ip));
    }

    /** True for text that is an IPv4 or IPv6 literal (so not a DNS name). */
    public static boolean isIpLiteral(String s) {
        if (s == null || s.isEmpty()) {
            return false;
        }
        if (s.indexOf(':') >= 0) {
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (!(c == ':' || c == '.' || Character.digit(c, 16) >= 0)) {
                    return false;
                }
            }
            return true;
        }
        return parseV4(s) != null;
    }

    /**
     * True for addresses that never route over the internet: RFC 1918, carrier-grade NAT
     * (100.64/10), link-local, loopback, unique-local IPv6 (fc00::/7), link-local IPv6 (fe80::/10).
     * Anything unparsable counts as private, so that garbage is never billed as internet traffic.
     */
    public static boolean isPrivate(String ip) {
        if (ip == null) {
            return true;
        }
        if (ip.indexOf(':') >= 0) {
            String l = ip.toLowerCase(Locale.ROOT);
            return l.equals("::1") || l.equals("::") || l.startsWith("fc") || l.startsWith("fd")
                    || l.startsWith("fe8") || l.startsWith("fe9") || l.startsWith("fea") || l.startsWith("feb");
        }
        int[] o = parseV4(ip);
        if (o == null) {
            return true;
        }
        return o[0] == 10
                || o[0] == 127
                || o[0] == 0
                || (o[0] == 172 && o[1] >= 16 && o[1] <= 31)
                || (o[0] == 192 && o[1] == 168)
                || (o[0] == 100 && o[1] >= 64 && o[1] <= 127)
                || (o[0] == 169 && o[1] == 254);
    }

    private static int[] parseV4(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        int[] o = new int[4];
        for (int i = 0; i < 4; i++) {
            String p = parts[i];
            if (p.isEmpty() || p.length() > 3) {
                return null;
            }
            int v = 0;
            for (int j = 0; j < p.length(); j++) {
                char c = p.charAt(j);
                if (c < '0' || c > '9') {
                    return null;
                }
                v = v * 10 + (c - '0');
            }
            if (v > 255) {
                return null;
            }
            o[i] = v;
        }
        return o;
    }
}
