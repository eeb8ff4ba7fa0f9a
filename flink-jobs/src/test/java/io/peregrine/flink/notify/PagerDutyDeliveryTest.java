package io.peregrine.flink.notify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peregrine.flink.notify.functions.PagerDutyDelivery;
import io.peregrine.flink.notify.pagerduty.PagerDutyClient;
import io.peregrine.flink.notify.pagerduty.PagerDutyConfig;
import io.peregrine.flink.notify.pagerduty.PagerDutyEvents;
import io.peregrine.flink.notify.records.Delivery;
import io.peregrine.flink.notify.records.PagerDutyEvent;
import io.peregrine.schema.Incident;
import io.peregrine.schema.SampleRecords;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.functions.DefaultOpenContext;
import org.apache.flink.streaming.api.functions.async.CollectionSupplier;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.util.MockStreamingRuntimeContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** PagerDuty delivery against a real HTTP receiver on 127.0.0.1. */
class PagerDutyDeliveryTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ROUTING_KEY = "0123456789abcdef0123456789abcdef";

    private final PagerDutyReceiver receiver = newReceiver();

    private static PagerDutyReceiver newReceiver() {
        try {
            return new PagerDutyReceiver();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @AfterEach
    void stop() {
        receiver.close();
    }

    private PagerDutyConfig config(URI url, Duration deadline) {
        Duration requestTimeout = deadline.compareTo(Duration.ofSeconds(2)) < 0 ? deadline : Duration.ofSeconds(2);
        return new PagerDutyConfig(url, ROUTING_KEY, requestTimeout, Duration.ofMillis(50),
                Duration.ofMillis(200), deadline);
    }

    private static PagerDutyEvent trigger() {
        return PagerDutyEvents.trigger(SampleRecords.incident(), ROUTING_KEY);
    }

    @Test
    void shouldDeliverOnceThroughA500AndA429WithRetryAfter() throws Exception {
        receiver.then(PagerDutyReceiver.Answer.of(500),
                new PagerDutyReceiver.Answer(429, Map.of("Retry-After", "1")));
        PagerDutyEvent event = trigger();

        Delivery d = new PagerDutyClient(config(receiver.url(), Duration.ofSeconds(30))).send(event).get(30, TimeUnit.SECONDS);

        assertThat(d.outcome()).isEqualTo(Delivery.Outcome.DELIVERED);
        assertThat(d.attempts()).isEqualTo(3);
        assertThat(d.httpStatus()).isEqualTo(202);
        List<PagerDutyReceiver.Received> got = receiver.received();
        assertThat(got).hasSize(3).extracting(PagerDutyReceiver.Received::body).containsOnly(event.body());
        // The 429 said "Retry-After: 1": the next request waited at least that long.
        assertThat(Duration.ofNanos(got.get(2).atNanos() - got.get(1).atNanos())).isGreaterThanOrEqualTo(Duration.ofSeconds(1));

        JsonNode body = JSON.readTree(got.get(0).body());
        Incident incident = SampleRecords.incident();
        assertThat(body.get("routing_key").asText()).isEqualTo(ROUTING_KEY);
        assertThat(body.get("event_action").asText()).isEqualTo("trigger");
        assertThat(body.get("dedup_key").asText()).isEqualTo(incident.getId());
        assertThat(body.at("/payload/summary").asText()).isEqualTo(incident.getTitle());
        assertThat(body.at("/payload/source").asText()).isEqualTo(incident.getRootCause().getId());
        assertThat(body.at("/payload/severity").asText()).isEqualTo("critical");
        assertThat(body.at("/payload/custom_details/root_cause").asText()).isEqualTo(incident.getRootCause().getId());
        assertThat(body.at("/payload/custom_details/evidence")).hasSize(incident.getEvidence().size());
        assertThat(body.at("/payload/custom_details/evidence/0/relation").asText()).isEqualTo("ROOT");
        assertThat(body.at("/payload/custom_details/evidence/2/app").asText())
                .isEqualTo(incident.getEvidence().get(2).getApp().getId());
    }

    @Test
    void shouldCutTheSummaryTo1024CharactersAndKeepTheDedupKeyWithin255() throws Exception {
        Incident incident = SampleRecords.incident();
        incident.setTitle("x".repeat(5_000));
        incident.setId("i".repeat(300));
        JsonNode body = JSON.readTree(PagerDutyEvents.trigger(incident, ROUTING_KEY).body());
        assertThat(body.at("/payload/summary").asText()).hasSize(1024).endsWith("…");
        assertThat(body.get("dedup_key").asText()).hasSize(255);
        assertThat(PagerDutyEvents.trigger(SampleRecords.incident(), ROUTING_KEY).dedupKey())
                .isEqualTo(SampleRecords.incident().getId());
    }

    @Test
    void shouldNotRetryAClientErrorOtherThan429() throws Exception {
        receiver.then(PagerDutyReceiver.Answer.of(400));
        Delivery d = new PagerDutyClient(config(receiver.url(), Duration.ofSeconds(30))).send(trigger()).get(30, TimeUnit.SECONDS);
        assertThat(d.outcome()).isEqualTo(Delivery.Outcome.REJECTED);
        assertThat(d.httpStatus()).isEqualTo(400);
        assertThat(d.detail()).contains("scripted 400");
        assertThat(receiver.received()).hasSize(1);
    }

    @Test
    void shouldGiveUpAtTheDeadlineWhenTheReceiverKeepsFailing() throws Exception {
        for (int i = 0; i < 50; i++) {
            receiver.then(PagerDutyReceiver.Answer.of(503));
        }
        Delivery d = new PagerDutyClient(config(receiver.url(), Duration.ofMillis(600))).send(trigger()).get(30, TimeUnit.SECONDS);
        assertThat(d.outcome()).isEqualTo(Delivery.Outcome.GAVE_UP);
        assertThat(d.httpStatus()).isEqualTo(503);
        assertThat(d.attempts()).isGreaterThanOrEqualTo(2).isEqualTo(receiver.received().size());

        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        Delivery refused = new PagerDutyClient(config(URI.create("http://127.0.0.1:" + closed + "/v2/enqueue"),
                Duration.ofMillis(400))).send(trigger()).get(30, TimeUnit.SECONDS);
        assertThat(refused.outcome()).isEqualTo(Delivery.Outcome.GAVE_UP);
        assertThat(refused.httpStatus()).isEqualTo(-1);
        assertThat(refused.attempts()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void shouldReadRetryAfterAsSecondsOrAnHttpDate() {
        Instant now = Instant.parse("2025-06-02T10:00:00Z");
        assertThat(PagerDutyClient.retryAfter("120", now)).contains(Duration.ofMinutes(2));
        assertThat(PagerDutyClient.retryAfter("Mon, 02 Jun 2025 10:00:30 GMT", now)).contains(Duration.ofSeconds(30));
        assertThat(PagerDutyClient.retryAfter("Mon, 02 Jun 2025 09:00:00 GMT", now)).contains(Duration.ZERO);
        assertThat(PagerDutyClient.retryAfter("soon", now)).isEmpty();
        assertThat(PagerDutyClient.retryAfter(null, now)).isEmpty();
    }

    @Test
    void shouldNeverLetAResolveOvertakeItsTriggerWhileTheTriggerIsRetried() throws Exception {
        receiver.then(PagerDutyReceiver.Answer.of(503), PagerDutyReceiver.Answer.of(503));
        PagerDutyDelivery delivery = new PagerDutyDelivery(config(receiver.url(), Duration.ofSeconds(30)));
        delivery.setRuntimeContext(new MockStreamingRuntimeContext(1, 0));
        delivery.open(DefaultOpenContext.INSTANCE);
        Incident incident = SampleRecords.incident();
        PagerDutyEvent trigger = PagerDutyEvents.trigger(incident, ROUTING_KEY);
        PagerDutyEvent resolve = PagerDutyEvents.resolve(incident.getId(), ROUTING_KEY);

        Results first = new Results();
        Results second = new Results();
        delivery.asyncInvoke(trigger, first);
        delivery.asyncInvoke(resolve, second);

        assertThat(second.done.get(30, TimeUnit.SECONDS)).singleElement()
                .satisfies(d -> assertThat(d.outcome()).isEqualTo(Delivery.Outcome.DELIVERED));
        assertThat(first.done.get(30, TimeUnit.SECONDS)).singleElement()
                .satisfies(d -> assertThat(d.attempts()).isEqualTo(3));
        assertThat(receiver.received()).extracting(r -> JSON.readTree(r.body()).get("event_action").asText())
                .containsExactly("trigger", "trigger", "trigger", "resolve");
    }

    private static final class Results implements ResultFuture<Delivery> {
        final CompletableFuture<List<Delivery>> done = new CompletableFuture<>();

        @Override
        public void complete(Collection<Delivery> result) {
            done.complete(new ArrayList<>(result));
        }

        @Override
        public void completeExceptionally(Throwable error) {
            done.completeExceptionally(error);
        }

        @Override
        public void complete(CollectionSupplier<Delivery> supplier) {
            try {
                done.complete(new ArrayList<>(supplier.get()));
            } catch (Exception e) {
                done.completeExceptionally(e);
            }
        }
    }
}
