package io.peregrine.flink.notify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peregrine.flink.notify.IncidentReceiver.NotifyAction;
import io.peregrine.flink.notify.functions.RateLimitedRequests;
import io.peregrine.flink.notify.http.HttpNotification;
import io.peregrine.flink.notify.http.RateLimit;
import io.peregrine.flink.notify.http.RetryPolicy;
import io.peregrine.flink.notify.records.IncidentNotice;
import io.peregrine.flink.notify.webhook.WebhookConfig;
import io.peregrine.flink.notify.webhook.WebhookReceiver;
import io.peregrine.schema.Severity;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The per-receiver token bucket: bursts pass, the excess is summarised in one digest, never dropped. */
class RateLimitedRequestsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** 6 a minute (a token every 10 s), bursts of 2. */
    private static final WebhookReceiver RECEIVER = new WebhookReceiver(new WebhookConfig("ops",
            URI.create("http://127.0.0.1:9/"), "0123456789abcdef", WebhookConfig.Format.PEREGRINE, "",
            RetryPolicy.defaults("notify.webhooks[0]"), new RateLimit(6, 2)));

    private KeyedOneInputStreamOperatorTestHarness<String, IncidentNotice, HttpNotification> harness;

    @BeforeEach
    void open() throws Exception {
        harness = harness();
        harness.open();
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, IncidentNotice, HttpNotification> harness()
            throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new RateLimitedRequests(RECEIVER)),
                n -> RECEIVER.name(), Types.STRING);
    }

    @AfterEach
    void close() throws Exception {
        harness.close();
    }

    private static IncidentNotice trigger(String id, long at) {
        return new IncidentNotice(Incidents.open(id, Severity.PAGE, at), NotifyAction.TRIGGER);
    }

    private List<HttpNotification> drain() {
        List<HttpNotification> out = new ArrayList<>(harness.extractOutputValues());
        harness.getOutput().clear();
        return out;
    }

    @Test
    void shouldPassABurstThenSummariseTheExcessInOneDigest() throws Exception {
        harness.setProcessingTime(1_000);
        harness.processElement(trigger("a", 1), 0);
        harness.processElement(trigger("b", 2), 0);
        assertThat(drain()).extracting(HttpNotification::key).containsExactly("a", "b");

        harness.processElement(trigger("c", 3), 0);
        harness.processElement(trigger("d", 4), 0);
        harness.processElement(new IncidentNotice(Incidents.resolved("c", 5), NotifyAction.RESOLVE), 0);
        assertThat(drain()).isEmpty();
        assertThat(harness.numProcessingTimeTimers()).isEqualTo(1);

        harness.setProcessingTime(10_999);
        assertThat(drain()).isEmpty();
        harness.setProcessingTime(11_000);
        List<HttpNotification> out = drain();
        assertThat(out).singleElement().satisfies(n -> assertThat(n.action()).isEqualTo("digest"));
        JsonNode digest = JSON.readTree(out.get(0).body());
        assertThat(digest.get("kind").asText()).isEqualTo("digest");
        assertThat(digest.get("held_notifications").asInt()).isEqualTo(3);
        // c was triggered and resolved while held: it appears once, in its latest state, as a resolve.
        assertThat(digest.get("incidents")).extracting(i -> i.get("action").asText() + " " + i.at("/incident/id").asText()
                + " " + i.at("/incident/status").asText()).containsExactly("trigger d OPEN", "resolve c RESOLVED");
        assertThat(harness.numProcessingTimeTimers()).isZero();

        // The bucket is empty again; 10 s later one token: a single held notice leaves as itself.
        harness.processElement(trigger("e", 6), 0);
        harness.setProcessingTime(21_000);
        assertThat(drain()).singleElement().satisfies(n -> {
            assertThat(n.key()).isEqualTo("e");
            assertThat(n.action()).isEqualTo("trigger");
        });
    }

    @Test
    void shouldKeepHeldNoticesAcrossARestore() throws Exception {
        harness.setProcessingTime(0);
        harness.processElement(trigger("a", 1), 0);
        harness.processElement(trigger("b", 2), 0);
        harness.processElement(trigger("c", 3), 0);
        harness.processElement(trigger("d", 4), 0);
        drain();
        OperatorSubtaskState snapshot = harness.snapshot(1, 1);
        harness.close();

        harness = harness();
        harness.setup();
        harness.initializeState(snapshot);
        harness.open();
        harness.setProcessingTime(10_000);
        assertThat(drain()).singleElement().satisfies(n -> assertThat(n.body()).contains("\"c\"", "\"d\""));
    }

    @Test
    void shouldNotLetANewVersionOvertakeAHeldOneOfTheSameIncident() throws Exception {
        harness.setProcessingTime(0);
        harness.processElement(trigger("a", 1), 0);
        harness.processElement(trigger("b", 2), 0);
        harness.processElement(trigger("c", 3), 0);
        drain();
        // 10 s later a token is due, but c's update arrives first: it joins c instead of leaving before it.
        harness.processElement(new IncidentNotice(Incidents.open("c", Severity.TICKET, 4), NotifyAction.UPDATE), 0);
        harness.setProcessingTime(10_000);
        assertThat(drain()).singleElement().satisfies(n -> {
            assertThat(n.key()).isEqualTo("c");
            assertThat(n.action()).isEqualTo("trigger");
            assertThat(n.body()).contains("\"severity\":\"TICKET\"");
        });
    }
}
