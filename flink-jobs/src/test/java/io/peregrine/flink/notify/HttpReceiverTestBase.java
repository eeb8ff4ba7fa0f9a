package io.peregrine.flink.notify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.peregrine.flink.notify.IncidentReceiver.NotifyAction;
import io.peregrine.flink.notify.functions.FailedNotifications;
import io.peregrine.flink.notify.http.HttpNotification;
import io.peregrine.flink.notify.http.HttpSender;
import io.peregrine.flink.notify.http.RetryPolicy;
import io.peregrine.flink.notify.http.Sent;
import io.peregrine.flink.notify.records.Delivery;
import io.peregrine.schema.DeadLetter;
import io.peregrine.schema.SampleRecords;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.AfterEach;

/**
 * What the tests of the HTTP receivers (Slack, Opsgenie, webhook) share: a real {@link HttpReceiver}
 * on 127.0.0.1 standing in for the service, stopped after each test, retries quick enough for a
 * test, and the retry and rejection behaviour every receiver must show through {@link HttpSender}.
 */
abstract class HttpReceiverTestBase {

    static final ObjectMapper JSON = new ObjectMapper();

    final HttpReceiver endpoint;

    HttpReceiverTestBase(HttpReceiver endpoint) {
        this.endpoint = endpoint;
    }

    @AfterEach
    void stopEndpoint() {
        endpoint.close();
    }

    /** A real receiver answering {@code okStatus} with {@code okBody}; unchecked, for field initialisers. */
    static HttpReceiver endpoint(int okStatus, String okBody) {
        try {
            return new HttpReceiver(okStatus, okBody);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** 2 s per request, 50 to 200 ms between attempts, 30 s in all. */
    static RetryPolicy quickRetries(String key) {
        return new RetryPolicy(key, Duration.ofSeconds(2), Duration.ofMillis(50), Duration.ofMillis(200),
                Duration.ofSeconds(30));
    }

    /**
     * Has the endpoint answer a 500, then a 429 asking to wait 1 s, then OK, and sends {@code n}: it must
     * arrive three times unchanged, the third no sooner than asked, and count as delivered once.
     */
    List<HttpReceiver.Received> assertDeliveredThroughA500AndA429(IncidentReceiver r, HttpNotification n)
            throws Exception {
        endpoint.then(HttpReceiver.Answer.of(500), new HttpReceiver.Answer(429, Map.of("Retry-After", "1")));
        Sent sent = new HttpSender(r).send(n).get(30, TimeUnit.SECONDS);
        assertThat(sent.outcome()).isEqualTo(Delivery.Outcome.DELIVERED);
        assertThat(sent.attempts()).isEqualTo(3);
        assertThat(sent.httpStatus()).isEqualTo(endpoint.okStatus());
        List<HttpReceiver.Received> got = endpoint.received();
        assertThat(got).extracting(HttpReceiver.Received::status).containsExactly(500, 429, endpoint.okStatus());
        assertThat(got).extracting(HttpReceiver.Received::body).containsOnly(n.body());
        assertThat(Duration.ofNanos(got.get(2).atNanos() - got.get(1).atNanos())).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
        return got;
    }

    /**
     * Has the endpoint refuse the sample incident's trigger with {@code status} (a 4xx other than 429):
     * rejected after one attempt, never retried.
     */
    Sent assertRejectedWithoutRetrying(IncidentReceiver r, int status) throws Exception {
        endpoint.then(HttpReceiver.Answer.of(status));
        Sent sent = new HttpSender(r).send(r.notification(SampleRecords.incident(), NotifyAction.TRIGGER))
                .get(30, TimeUnit.SECONDS);
        assertThat(sent.outcome()).isEqualTo(Delivery.Outcome.REJECTED);
        assertThat(sent.httpStatus()).isEqualTo(status);
        assertThat(endpoint.received()).hasSize(1);
        return sent;
    }

    /** The dead letters {@link FailedNotifications} makes of {@code sent} for the incidents topic. */
    static List<DeadLetter> deadLetters(String stage, Sent sent) throws Exception {
        List<DeadLetter> letters = new ArrayList<>();
        new FailedNotifications("peregrine.incidents", stage).flatMap(sent, collector(letters));
        return letters;
    }

    static <T> Collector<T> collector(List<T> into) {
        return new Collector<>() {
            @Override
            public void collect(T record) {
                into.add(record);
            }

            @Override
            public void close() {
            }
        };
    }
}
