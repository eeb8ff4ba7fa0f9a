package io.peregrine.flink.notify;

import static io.peregrine.flink.notify.SlackReceiverTest.collector;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peregrine.flink.notify.IncidentReceiver.NotifyAction;
import io.peregrine.flink.notify.functions.FailedNotifications;
import io.peregrine.flink.notify.http.HttpNotification;
import io.peregrine.flink.notify.http.HttpSender;
import io.peregrine.flink.notify.http.RateLimit;
import io.peregrine.flink.notify.http.RetryPolicy;
import io.peregrine.flink.notify.http.Sent;
import io.peregrine.flink.notify.opsgenie.OpsgenieConfig;
import io.peregrine.flink.notify.opsgenie.OpsgenieReceiver;
import io.peregrine.flink.notify.records.Delivery;
import io.peregrine.flink.notify.records.IncidentNotice;
import io.peregrine.schema.DeadLetter;
import io.peregrine.schema.Incident;
import io.peregrine.schema.SampleRecords;
import io.peregrine.schema.Severity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Opsgenie Alert API requests, sent to a real HTTP receiver on 127.0.0.1. */
class OpsgenieReceiverTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "eb243592-faa2-4ba2-a551q-1afdf565c889";

    private final HttpReceiver opsgenie = receiver();

    static HttpReceiver receiver() {
        try {
            return new HttpReceiver(202, "{\"result\":\"Request will be processed\",\"took\":0.1,\"requestId\":\"r\"}");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @AfterEach
    void stop() {
        opsgenie.close();
    }

    private OpsgenieReceiver receiver(List<Map<String, String>> responders) {
        return new OpsgenieReceiver(new OpsgenieConfig(opsgenie.url("/"), KEY, List.of("shop"), responders,
                new RetryPolicy("notify.opsgenie", Duration.ofSeconds(2), Duration.ofMillis(50), Duration.ofMillis(200),
                        Duration.ofSeconds(30)), RateLimit.defaults()));
    }

    @Test
    void shouldCreateWithTheIncidentIdAsAliasAndCloseByAlias() throws Exception {
        OpsgenieReceiver r = receiver(List.of(Map.of("type", "team", "name", "sre")));
        Incident open = SampleRecords.incident();
        HttpSender sender = new HttpSender(r);
        assertThat(sender.send(r.notification(open, NotifyAction.TRIGGER)).get(30, TimeUnit.SECONDS).delivered()).isTrue();
        Incident resolved = Incidents.resolved(open.getId(), 90);
        assertThat(sender.send(r.notification(resolved, NotifyAction.RESOLVE)).get(30, TimeUnit.SECONDS).delivered()).isTrue();

        List<HttpReceiver.Received> got = opsgenie.received();
        HttpReceiver.Received create = got.get(0);
        assertThat(create.method()).isEqualTo("POST");
        assertThat(create.pathAndQuery()).isEqualTo("/v2/alerts");
        assertThat(create.header("Authorization")).isEqualTo("GenieKey " + KEY);
        JsonNode body = JSON.readTree(create.body());
        assertThat(body.get("alias").asText()).isEqualTo(open.getId());
        assertThat(body.get("message").asText()).isEqualTo(open.getTitle());
        assertThat(body.get("priority").asText()).isEqualTo("P1");
        assertThat(body.get("entity").asText()).isEqualTo("systemd/postgresql@16-main.service");
        assertThat(body.get("source").asText()).isEqualTo("Peregrine");
        assertThat(body.get("description").asText()).contains(open.getSummary(), "Probable root cause", "[root]");
        assertThat(body.get("tags")).extracting(JsonNode::asText).contains("peregrine", "severity:page", "shop");
        assertThat(body.at("/responders/0/type").asText()).isEqualTo("team");
        assertThat(body.at("/responders/0/name").asText()).isEqualTo("sre");
        assertThat(body.at("/details/incident_id").asText()).isEqualTo(open.getId());
        assertThat(body.toString()).doesNotContain(KEY);

        HttpReceiver.Received close = got.get(1);
        assertThat(close.pathAndQuery()).isEqualTo("/v2/alerts/" + open.getId() + "/close?identifierType=alias");
        assertThat(close.header("Authorization")).isEqualTo("GenieKey " + KEY);
        assertThat(JSON.readTree(close.body()).get("note").asText()).contains("Resolved by Peregrine", "after 2m 00s");
    }

    @Test
    void shouldMapSeverityToPriorityAndRespectOpsgenieLimits() throws Exception {
        assertThat(OpsgenieReceiver.priority(Severity.PAGE)).isEqualTo("P1");
        assertThat(OpsgenieReceiver.priority(Severity.TICKET)).isEqualTo("P3");
        assertThat(OpsgenieReceiver.priority(Severity.UNKNOWN)).isEqualTo("P3");
        assertThat(OpsgenieReceiver.priority(Severity.INFO)).isEqualTo("P5");
        OpsgenieReceiver r = receiver(List.of());
        Incident i = Incident.newBuilder(SampleRecords.incident()).setId("id with/slash").setTitle("t".repeat(300))
                .setSummary("s".repeat(20_000)).setSeverity(Severity.TICKET).build();
        JsonNode body = JSON.readTree(r.notification(i, NotifyAction.TRIGGER).body());
        assertThat(body.get("message").asText()).hasSize(130);
        assertThat(body.get("description").asText()).hasSize(15_000);
        assertThat(body.get("priority").asText()).isEqualTo("P3");
        assertThat(body.has("responders")).isFalse();
        assertThat(r.notification(Incidents.resolved("id with/slash", 5), NotifyAction.RESOLVE).path())
                .isEqualTo("v2/alerts/id%20with%2Fslash/close?identifierType=alias");
        // Stale: closed, the note says it did not recover.
        HttpNotification stale = r.notification(Incidents.stale("b", 30), NotifyAction.RESOLVE);
        assertThat(stale.path()).isEqualTo("v2/alerts/b/close?identifierType=alias");
        assertThat(JSON.readTree(stale.body()).get("note").asText()).contains("without a recovery: Stale: no data for 1h");
        // Merged into another incident: closed by its own alias, the note says where it went.
        HttpNotification merged = r.notification(Incidents.merged("b", "a", 30), NotifyAction.RESOLVE);
        assertThat(merged.path()).isEqualTo("v2/alerts/b/close?identifierType=alias");
        assertThat(JSON.readTree(merged.body()).get("note").asText()).startsWith("Merged by Peregrine")
                .contains("into incident a ", "after 1m 00s");
    }

    @Test
    void shouldDeliverOnceThroughA500AndA429WithRetryAfter() throws Exception {
        opsgenie.then(HttpReceiver.Answer.of(500), new HttpReceiver.Answer(429, Map.of("Retry-After", "1")));
        OpsgenieReceiver r = receiver(List.of());
        HttpNotification n = r.notification(SampleRecords.incident(), NotifyAction.TRIGGER);
        Sent sent = new HttpSender(r).send(n).get(30, TimeUnit.SECONDS);
        assertThat(sent.outcome()).isEqualTo(Delivery.Outcome.DELIVERED);
        assertThat(sent.attempts()).isEqualTo(3);
        assertThat(sent.httpStatus()).isEqualTo(202);
        List<HttpReceiver.Received> got = opsgenie.received();
        assertThat(got).extracting(HttpReceiver.Received::status).containsExactly(500, 429, 202);
        assertThat(got).extracting(HttpReceiver.Received::body).containsOnly(n.body());
        assertThat(Duration.ofNanos(got.get(2).atNanos() - got.get(1).atNanos())).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void shouldSendA400ToTheDeadLetterTopicWithoutRetrying() throws Exception {
        opsgenie.then(HttpReceiver.Answer.of(422), HttpReceiver.Answer.of(400));
        OpsgenieReceiver r = receiver(List.of());
        Sent sent = new HttpSender(r).send(r.notification(SampleRecords.incident(), NotifyAction.TRIGGER))
                .get(30, TimeUnit.SECONDS);
        assertThat(sent.outcome()).isEqualTo(Delivery.Outcome.REJECTED);
        assertThat(sent.httpStatus()).isEqualTo(422);
        assertThat(opsgenie.received()).hasSize(1);
        List<DeadLetter> letters = new ArrayList<>();
        new FailedNotifications("peregrine.incidents", "flink/notify/opsgenie").flatMap(sent, collector(letters));
        assertThat(letters).singleElement().satisfies(d -> {
            assertThat(d.getReasonMessage()).contains("opsgenie trigger", "HTTP 422");
            assertThat(new String(d.getValue().array(), java.nio.charset.StandardCharsets.UTF_8)).doesNotContain(KEY);
        });
    }

    @Test
    void shouldOpenOneDigestAlertForHeldIncidents() throws Exception {
        OpsgenieReceiver r = receiver(List.of());
        HttpNotification d = r.digest(List.of(
                new IncidentNotice(Incidents.open("a", Severity.TICKET, 1), NotifyAction.TRIGGER),
                new IncidentNotice(Incidents.open("b", Severity.PAGE, 2), NotifyAction.TRIGGER),
                new IncidentNotice(Incidents.resolved("c", 3), NotifyAction.RESOLVE)), 4);
        JsonNode body = JSON.readTree(d.body());
        assertThat(d.path()).isEqualTo("v2/alerts");
        assertThat(body.get("alias").asText()).startsWith("peregrine-digest-a-");
        assertThat(body.get("priority").asText()).isEqualTo("P1");
        assertThat(body.get("description").asText()).contains("held back 4 notifications about 3 incidents",
                "trigger TICKET a:", "trigger PAGE b:", "resolve PAGE c:");
    }
}
