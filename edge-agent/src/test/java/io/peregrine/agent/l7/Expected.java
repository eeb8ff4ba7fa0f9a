package io.peregrine.agent.l7;

import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.schema.Protocol;

/**
 * One row of a decoder's fixture table: what decoding {@code name}.req/.resp must give, or
 * {@link #notAQuery} for exchanges that are recognised but are no application request (startup,
 * handshake), or {@link #unrecognised} for bytes the decoder must not claim.
 */
public record Expected(String name, boolean recognised, boolean decoded, String method, String resource, String status,
        Integer statusCode, boolean error) {

    public static Expected row(String name, String method, String resource, String status, Integer statusCode,
            boolean error) {
        return new Expected(name, true, true, method, resource, status, statusCode, error);
    }

    public static Expected notAQuery(String name) {
        return new Expected(name, true, false, null, null, null, null, false);
    }

    public static Expected unrecognised(String name) {
        return new Expected(name, false, false, null, null, null, null, false);
    }

    /** Checks {@code d} on the fixture, with {@code port} as the server port hint. */
    public void check(ProtocolDecoder d, String folder, int port) {
        DecoderFixtures.Fixture f = DecoderFixtures.fixture(folder, name);
        assertThat(d.recognizes(f.request(), port)).as("%s recognised", f).isEqualTo(recognised);
        Protocol picked = recognised ? d.protocol() : null;
        if (recognised) {
            assertThat(DecoderFixtures.registryPicks(picked, f.request(), port)).as("registry picks %s for %s", picked, f)
                    .isTrue();
        }
        Exchange e = d.decode(f.request(), f.response());
        if (!decoded) {
            if (recognised) {
                assertThat(e).as("%s is no query", f).isNull();
            }
            return;
        }
        assertThat(e).as("%s decoded", f).isNotNull();
        assertThat(e).as("%s", f).isEqualTo(new Exchange(d.protocol(), method, resource, null, status, statusCode, error,
                null, null, null));
    }

    @Override
    public String toString() {
        return name;
    }
}
