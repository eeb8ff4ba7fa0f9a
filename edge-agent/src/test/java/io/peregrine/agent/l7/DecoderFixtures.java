package io.peregrine.agent.l7;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.schema.Protocol;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Fixtures of src/test/resources/l7/&lt;protocol&gt;/&lt;case&gt;.req|.resp (raw bytes, each folder's
 * README.md says how they were captured), and the checks every decoder must pass on damaged and
 * foreign input: truncation at every length, corrupt length fields, other protocols' bytes, and
 * seeded random bytes and mutations, none of which may make a decoder throw.
 */
public final class DecoderFixtures {

    /** The folders of the database decoders' fixtures. */
    public static final List<String> DATABASE_FOLDERS = List.of("postgres", "mysql", "redis", "memcached", "mongo");

    /** Requests of protocols with no fixture folder here, written by hand from their specifications. */
    public static final List<byte[]> OTHER_PROTOCOLS = List.of(
            "GET /users/42 HTTP/1.1\r\nHost: example\r\n\r\n".getBytes(US_ASCII),
            "POST /api HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}".getBytes(US_ASCII),
            "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(US_ASCII),
            // TLS 1.2 ClientHello record header and the start of the handshake
            new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, (byte) 0xfc, 0x03, 0x03, 0x11, 0x22},
            // DNS query for example.com A (over TCP: 2-byte length first)
            new byte[] {0x00, 0x1d, 0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 'e', 'x',
                'a', 'm', 'p', 'l', 'e', 0x03, 'c', 'o', 'm', 0x00, 0x00, 0x01, 0x00, 0x01},
            // Kafka ApiVersions v3 request: size, api key 18, version 3, correlation id 1, client id
            new byte[] {0x00, 0x00, 0x00, 0x1b, 0x00, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x07, 'p', 'r', 'o',
                'd', 'u', 'c', 'e', 'r', 0x00, 0x05, 'k', 'a', 'f', 'k', 'a', 0x04, '1', 0x00},
            "SSH-2.0-OpenSSH_9.2p1\r\n".getBytes(US_ASCII),
            new byte[0],
            new byte[] {0});

    private DecoderFixtures() {}

    /** One captured exchange. */
    public record Fixture(String folder, String name, byte[] request, byte[] response) {
        @Override
        public String toString() {
            return folder + "/" + name;
        }
    }

    public static List<Fixture> load(String folder) {
        Path dir = folderPath(folder);
        try (Stream<Path> files = Files.list(dir)) {
            List<Fixture> out = new ArrayList<>();
            for (Path req : files.filter(p -> p.getFileName().toString().endsWith(".req")).sorted().toList()) {
                String name = req.getFileName().toString();
                name = name.substring(0, name.length() - ".req".length());
                out.add(new Fixture(folder, name, Files.readAllBytes(req),
                        Files.readAllBytes(dir.resolve(name + ".resp"))));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Fixture fixture(String folder, String name) {
        return load(folder).stream().filter(f -> f.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no fixture " + folder + "/" + name));
    }

    private static Path folderPath(String folder) {
        try {
            return Path.of(DecoderFixtures.class.getResource("/l7/" + folder).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static byte[] resource(String path) {
        try (InputStream in = DecoderFixtures.class.getResourceAsStream(path)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- checks shared by every decoder's test

    /** Statements the garbage of every check accumulates, so that its lookups and closes hit some. */
    private static final PreparedStatements GARBAGE_STATEMENTS = new PreparedStatements();

    /** The exchanges of one connection, in order: l7/&lt;folder&gt;/sequences/&lt;name&gt;.&lt;n&gt;.req/.resp. */
    public static List<Fixture> sequence(String folder, String name) {
        return load(folder + "/sequences").stream().filter(f -> f.name().startsWith(name + "."))
                .sorted(java.util.Comparator.comparingInt(f -> Integer.parseInt(f.name().substring(name.length() + 1))))
                .toList();
    }

    /** Calls the methods; a decoder must never throw, whatever the bytes, with or without statements. */
    public static synchronized Exchange exercise(ProtocolDecoder d, byte[] request, byte[] response) {
        d.recognizes(request, 0);
        d.decode(request, response, GARBAGE_STATEMENTS);
        for (Exchange x : d.decodeTurn(request, response, GARBAGE_STATEMENTS)) {
            assertThat(x.protocol()).isEqualTo(d.protocol());
        }
        Exchange e = d.decode(request, response);
        if (e != null) {
            assertThat(e.protocol()).isEqualTo(d.protocol());
            if (e.resource() != null) {
                assertThat(e.resource().length()).isLessThanOrEqualTo(256);
            }
        }
        return e;
    }

    /**
     * Every prefix of every request and response of {@code folder}: no exception; a cut response
     * never changes what was read from the request; a cut request is either not decoded or decoded
     * as the same protocol.
     */
    public static void assertTruncationIsHarmless(ProtocolDecoder d, String folder) {
        for (Fixture f : load(folder)) {
            Exchange whole = d.decode(f.request(), f.response());
            for (int n = 0; n <= f.request().length; n++) {
                exercise(d, Arrays.copyOf(f.request(), n), f.response());
            }
            for (int n = 0; n <= f.response().length; n++) {
                Exchange cut = exercise(d, f.request(), Arrays.copyOf(f.response(), n));
                if (whole != null) {
                    assertThat(cut).as("%s with the response cut at %d", f, n).isNotNull();
                    assertThat(cut.method()).as("%s method", f).isEqualTo(whole.method());
                    assertThat(cut.resource()).as("%s resource", f).isEqualTo(whole.resource());
                }
            }
        }
    }

    /** Each of the first 16 bytes (where the length and type fields are) set to extreme values. */
    public static void assertCorruptLengthsAreHarmless(ProtocolDecoder d, String folder) {
        byte[] values = {0, 1, 0x7f, (byte) 0x80, (byte) 0xff, (byte) 0xfe};
        for (Fixture f : load(folder)) {
            for (byte[] original : List.of(f.request(), f.response())) {
                for (int i = 0; i < Math.min(16, original.length); i++) {
                    for (byte v : values) {
                        byte[] bad = original.clone();
                        bad[i] = v;
                        if (original == f.request()) {
                            exercise(d, bad, f.response());
                        } else {
                            exercise(d, f.request(), bad);
                        }
                    }
                }
            }
        }
    }

    /**
     * The requests of every other database folder and of other protocols are not recognised (and
     * do not make decode throw; decode itself may read them, it is called on recognised bytes).
     */
    public static void assertOtherProtocolsAreNotRecognised(ProtocolDecoder d, String ownFolder, int port) {
        for (String folder : DATABASE_FOLDERS) {
            if (folder.equals(ownFolder)) {
                continue;
            }
            for (Fixture f : load(folder)) {
                assertThat(d.recognizes(f.request(), port)).as("%s recognises %s", d.protocol(), f).isFalse();
                exercise(d, f.request(), f.response());
            }
        }
        for (byte[] other : OTHER_PROTOCOLS) {
            assertThat(d.recognizes(other, port)).as("%s recognises %s", d.protocol(), new String(other, US_ASCII)).isFalse();
            exercise(d, other, new byte[0]);
        }
    }

    /**
     * Seeded random input: pure noise, and this folder's fixtures with random bytes changed,
     * inserted or cut off. No exception may escape. Returns how many inputs were decoded.
     */
    public static int assertRandomInputIsHarmless(ProtocolDecoder d, String folder, long seed, int rounds) {
        Random random = new Random(seed);
        List<Fixture> fixtures = load(folder);
        int decoded = 0;
        for (int round = 0; round < rounds; round++) {
            byte[] request;
            byte[] response;
            if (round % 3 == 0) {
                request = noise(random);
                response = noise(random);
            } else {
                Fixture f = fixtures.get(random.nextInt(fixtures.size()));
                request = mutate(f.request(), random);
                response = mutate(f.response(), random);
            }
            if (exercise(d, request, response) != null) {
                decoded++;
            }
        }
        return decoded;
    }

    private static byte[] noise(Random random) {
        byte[] b = new byte[random.nextInt(300)];
        random.nextBytes(b);
        return b;
    }

    private static byte[] mutate(byte[] original, Random random) {
        byte[] b = original.clone();
        int changes = 1 + random.nextInt(4);
        for (int c = 0; c < changes && b.length > 0; c++) {
            switch (random.nextInt(4)) {
                case 0 -> b[random.nextInt(b.length)] = (byte) random.nextInt(256);
                case 1 -> b = Arrays.copyOf(b, random.nextInt(b.length + 1));
                case 2 -> {
                    int at = random.nextInt(b.length);
                    byte[] grown = new byte[b.length + 1];
                    System.arraycopy(b, 0, grown, 0, at);
                    grown[at] = (byte) random.nextInt(256);
                    System.arraycopy(b, at, grown, at + 1, b.length - at);
                    b = grown;
                }
                default -> {
                    int at = random.nextInt(b.length);
                    int v = random.nextBoolean() ? 0xff : 0;
                    for (int k = at; k < Math.min(b.length, at + 4); k++) {
                        b[k] = (byte) v;
                    }
                }
            }
        }
        return b;
    }

    /** Whether the registry picks {@code protocol}'s decoder for {@code request}. */
    public static boolean registryPicks(Protocol protocol, byte[] request, int port) {
        ProtocolDecoder d = Decoders.all().recognize(request, port);
        return d != null && d.protocol() == protocol;
    }
}
