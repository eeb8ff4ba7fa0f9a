package io.peregrine.streams.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.streams.PipelineCounters;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Parameter handling of the query API; the answers themselves are checked by StreamsAppIT. */
class QueryServiceTest {

    private final QueryService service = new QueryService(() -> null, () -> new HostInfo("127.0.0.1", 8080), 3,
            Duration.ofSeconds(10), Duration.ofHours(6), new PipelineCounters(),
            Clock.fixed(Instant.parse("2025-06-02T12:00:00Z"), ZoneOffset.UTC));

    @ParameterizedTest(name = "{0}?{1}={2} -> {3}")
    @CsvSource(delimiter = '|', value = {
        "/api/v1/service-map | from | yesterday | 400 | 'from' is not a time: 'yesterday'",
        "/api/v1/service-map | to | 2025-13-01T00:00:00Z | 400 | 'to' is not a time",
        "/api/v1/service-map | from | 2025-06-02T12:30:00Z | 400 | must be before 'to'",
        "/api/v1/service-map | from | 2025-05-01T00:00:00Z | 400 | longer than the 6 h",
        "/api/v1/service-map | limit | 5 | 400 | unknown parameter 'limit'",
        "/api/v1/service-map | local | maybe | 400 | must be true or false",
        "/api/v1/apps/k8s/shop/checkout/sli | step | 15s | 400 | multiple of the 10000 ms window",
        "/api/v1/apps/k8s/shop/checkout/sli | step | -10s | 400 | multiple of the 10000 ms window",
        "/api/v1/apps/k8s/shop/checkout/sli | step | fortnight | 400 | not a duration: 'fortnight'",
        "/api/v1/apps/k8s/shop/checkout/sli | step | 10ms | 400 | multiple of the 10000 ms window",
        "/api/v1/apps/k8s/shop/checkout/sli | step | 1m | 503 | not started",
        "/api/v1/nothing | x | 1 | 404 | no such resource",
    })
    void shouldAnswerGarbageWithAClearError(String path, String param, String value, int status, String message) {
        QueryService.Response r = service.handle("GET", path, Map.of(param, List.of(value)));
        assertThat(r.status()).isEqualTo(status);
        assertThat(r.body()).contains(message);
    }

    @org.junit.jupiter.api.Test
    void shouldOnlyAcceptGet() {
        assertThat(service.handle("POST", "/api/v1/apps", Map.of()).status()).isEqualTo(405);
    }
}
