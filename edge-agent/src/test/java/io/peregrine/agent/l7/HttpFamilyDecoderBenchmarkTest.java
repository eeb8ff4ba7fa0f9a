package io.peregrine.agent.l7;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The benchmark measures the path it claims: every simulated gRPC call is followed and reported. */
class HttpFamilyDecoderBenchmarkTest {

    @Test
    void shouldReportEverySimulatedGrpcCall() {
        HttpFamilyDecoderBenchmark b = new HttpFamilyDecoderBenchmark();
        b.load();
        int calls = 2 * HttpFamilyDecoderBenchmark.H2_CALLS + 10; // across a connection's close and the next
        int streams = 0;
        for (int i = 0; i < calls; i++) {
            streams = b.http2ConnectionGrpcCall();
        }
        assertThat(streams).isEqualTo(calls);
        assertThat(b.h2.stats().broken()).isZero();
        assertThat(b.h2.stats().unanswered()).isZero();
    }
}
