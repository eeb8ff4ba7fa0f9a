package io.peregrine.agent.l7;

import static java.nio.charset.StandardCharsets.ISO_8859_1;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The captured exchanges under src/test/resources/l7/&lt;protocol&gt;/ ({@code <case>.req} and
 * {@code <case>.resp}; each folder's README says how they were captured), and request bytes of the
 * protocols other decoders read, to check that a decoder does not take them for its own.
 */
public final class CapturedFixtures {

    private CapturedFixtures() {
    }

    public record Captured(String protocol, String name, byte[] request, byte[] response) {
        @Override
        public String toString() {
            return protocol + "/" + name;
        }
    }

    public static Captured load(String protocol, String name) {
        Path dir = folder(protocol);
        try {
            return new Captured(protocol, name, Files.readAllBytes(dir.resolve(name + ".req")),
                    Files.readAllBytes(dir.resolve(name + ".resp")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every captured exchange of {@code protocol}, by name. */
    public static List<Captured> all(String protocol) {
        try (Stream<Path> files = Files.list(folder(protocol))) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".req"))
                    .map(n -> n.substring(0, n.length() - 4))
                    .sorted()
                    .map(n -> load(protocol, n))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path folder(String protocol) {
        URL url = CapturedFixtures.class.getClassLoader().getResource("l7/" + protocol);
        if (url == null) {
            throw new IllegalArgumentException("no fixture folder l7/" + protocol);
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * First request bytes of protocols none of the HTTP/1, HTTP/2, gRPC, Kafka and DNS decoders
     * read, as their clients send them (written from the protocols' specifications: the
     * PostgreSQL startup message and simple query, MySQL's handshake response, RESP arrays and
     * inline commands, memcached text commands, a MongoDB OP_MSG, a TLS ClientHello, SSH).
     */
    public static List<byte[]> otherProtocols() {
        return List.of(
                // PostgreSQL StartupMessage: length, protocol 3.0, user/database pairs
                hex("00000029000300007573657200706f737467726573006461746162617365007065726567"
                        + "72696e650000"),
                // PostgreSQL SSLRequest and a simple Query
                hex("0000000804d2162f"),
                bytes("Q\0\0\0\u0019SELECT * FROM users\0"),
                // MySQL HandshakeResponse41 (sequence id 1) and COM_QUERY
                hex("5400000185a6ff0100000001210000000000000000000000000000000000000000000000726f6f74"
                        + "00"),
                hex("0f0000000373656c65637420312b31"),
                // Redis RESP arrays and an inline command
                bytes("*2\r\n$3\r\nGET\r\n$5\r\nusers\r\n"),
                bytes("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"),
                bytes("GET users\r\n"),
                bytes("PING\r\n"),
                // memcached text protocol
                bytes("get user:42\r\n"),
                bytes("set k 0 0 1\r\nv\r\n"),
                // MongoDB OP_MSG (little-endian header, opcode 2013) with {isMaster: 1, $db: "admin"}
                hex("3a000000" + "01000000" + "00000000" + "dd070000" + "00000000" + "00"
                        + "25000000" + "10" + "69736d617374657200" + "01000000"
                        + "02" + "24646200" + "06000000" + "61646d696e00" + "00"),
                // TLS ClientHello: record header and the start of the handshake
                hex("16030102000100" + "01fc0303"),
                bytes("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"),
                new byte[0],
                new byte[] {0},
                new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
    }

    public static byte[] bytes(String s) {
        return s.getBytes(ISO_8859_1);
    }

    public static byte[] hex(String h) {
        byte[] b = new byte[h.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }
}
