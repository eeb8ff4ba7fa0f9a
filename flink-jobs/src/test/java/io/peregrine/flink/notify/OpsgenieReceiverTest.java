package io.peregrine.flink.notify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.peregrine.flink.notify.IncidentReceiver.NotifyAction;
import io.peregrine.flink.notify.http.HttpNotification;
import io.peregrine.flink.notify.http.HttpSender;
import io.peregrine.flink.notify.http.RateLimit;
import io.peregrine.flink.notify.http.Sent;
import io.peregrine.flink.notify.opsgenie.OpsgenieConfig;
import io.peregrine.flink.notify.opsgenie.OpsgenieReceiver;
import io.peregrine.flink.notify.records.IncidentNotice;
import io.peregrine.schema.Incident;
import io.peregrine.schema.SampleRecords;
import io.peregrine.schema.Severity;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Opsgenie Alert API requests, sent to a real HTTP receiver on 127.0.0.1. */
class OpsgenieReceiverTest extends HttpReceiverTestBase {

    private static final String KEY = "eb243592-faa2-4ba2-a551q-1afdf565c889";

    OpsgenieReceiverTest() {
        super(endpoint(202, "{\"result\":\"Request will be processed\",\"took\":0.1,\"requestId\":\"r\"}"));
    }

    private OpsgenieReceiver receiver(List<Map<String, String>> responders) {
        return new OpsgenieReceiver(new OpsgenieConfig(endpoint.url("/"), KEY, List.of("shop"), responders,
                quickRetries("notify.opsgenie"), RateLimit.defaults()));
    }

    @Test
    void shouldCreateWithTheIncidentIdAsAliasAndCloseByAlias() throws Exception {
        OpsgenieReceiver r = receiver(List.of(Map.of("type", "team", "name", "sre")));
        Incident open = SampleRecords.incident();
        HttpSender sender = new HttpSender(r);
        assertThat(sender.send(r.notification(open, NotifyAction.TRIGGER)).get(30, TimeUnit.SECONDS).delivered()).isTrue();
        Incident resolved = Incidents.resolved(open.getId(), 90);
        assertThat(sender.send(r.notification(resolved, NotifyAction.RESOLVE)).get(30, TimeUnit.SECONDS).delivered()).isTrue();

        List<HttpReceiver.Received> got = endpoint.received();
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
        OpsgenieReceiver r = receiver(List.of());
        assertDeliveredThroughA500AndA429(r, r.notification(SampleRecords.incident(), NotifyAction.TRIGGER));
    }

    @Test
    void shouldSendA400ToTheDeadLetterTopicWithoutRetrying() throws Exception {
        Sent sent = assertRejectedWithoutRetrying(receiver(List.of()), 422);
        assertThat(deadLetters("flink/notify/opsgenie", sent)).singleElement().satisfies(d -> {
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
