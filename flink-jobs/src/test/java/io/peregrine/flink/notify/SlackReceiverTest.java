package io.peregrine.flink.notify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.peregrine.flink.notify.IncidentReceiver.NotifyAction;
import io.peregrine.flink.notify.http.HttpNotification;
import io.peregrine.flink.notify.http.HttpSender;
import io.peregrine.flink.notify.http.RateLimit;
import io.peregrine.flink.notify.http.Sent;
import io.peregrine.flink.notify.records.Delivery;
import io.peregrine.flink.notify.records.IncidentNotice;
import io.peregrine.flink.notify.slack.SlackConfig;
import io.peregrine.flink.notify.slack.SlackReceiver;
import io.peregrine.schema.Incident;
import io.peregrine.schema.SampleRecords;
import io.peregrine.schema.Severity;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Slack incoming-webhook messages, sent to a real HTTP receiver on 127.0.0.1. */
class SlackReceiverTest extends HttpReceiverTestBase {

    SlackReceiverTest() {
        super(endpoint(200, "ok"));
    }

    private SlackReceiver receiverFor(String path) {
        return new SlackReceiver(new SlackConfig(endpoint.url(path), "#alerts", null, quickRetries("notify.slack"),
                RateLimit.defaults()));
    }

    @Test
    void shouldPostReadableBlocksForATriggerAndAResolve() throws Exception {
        SlackReceiver r = receiverFor("/services/T1/B2/secret");
        Incident open = SampleRecords.incident();
        Sent sent = new HttpSender(r).send(r.notification(open, NotifyAction.TRIGGER)).get(30, TimeUnit.SECONDS);
        assertThat(sent.outcome()).isEqualTo(Delivery.Outcome.DELIVERED);

        HttpReceiver.Received got = endpoint.received().get(0);
        assertThat(got.method()).isEqualTo("POST");
        assertThat(got.pathAndQuery()).isEqualTo("/services/T1/B2/secret");
        assertThat(got.header("Content-Type")).startsWith("application/json");
        JsonNode body = JSON.readTree(got.body());
        assertThat(body.get("channel").asText()).isEqualTo("#alerts");
        assertThat(body.get("text").asText()).contains(open.getTitle());
        JsonNode blocks = body.get("blocks");
        assertThat(blocks.get(0).get("type").asText()).isEqualTo("header");
        assertThat(blocks.get(0).at("/text/text").asText()).isEqualTo(":red_circle: Page: " + open.getTitle());
        assertThat(blocks.get(1).at("/text/text").asText()).isEqualTo(open.getSummary());
        List<String> fields = new ArrayList<>();
        blocks.get(2).get("fields").forEach(f -> fields.add(f.get("text").asText()));
        assertThat(fields).contains("*Status*\nOpen", "*Severity*\nPage",
                "*Probable root cause*\npostgresql@16-main (systemd/postgresql@16-main.service)");
        assertThat(body.toString()).contains("backend OOM-killed at 10:15:00", "`root`", "`client`",
                "Peregrine incident `0f8fad5b-d9cb-469f-a165-70867728950e`");

        Incident resolved = Incidents.resolved(open.getId(), 600);
        new HttpSender(r).send(r.notification(resolved, NotifyAction.RESOLVE)).get(30, TimeUnit.SECONDS);
        JsonNode rb = JSON.readTree(endpoint.received().get(1).body());
        assertThat(rb.at("/blocks/0/text/text").asText()).isEqualTo(":white_check_mark: Resolved: " + open.getTitle());
        assertThat(rb.toString()).contains("*Status*\\nResolved", "after 10m 30s");

        JsonNode stale = JSON.readTree(r.notification(Incidents.stale(open.getId(), 60), NotifyAction.RESOLVE).body());
        assertThat(stale.at("/blocks/0/text/text").asText()).isEqualTo(":grey_question: Resolved, no data: " + open.getTitle());
        assertThat(stale.toString()).contains("*Status*\\nResolved as stale (not recovered)").contains("Stale: no data for 1h");
        JsonNode merged = JSON.readTree(r.notification(Incidents.merged(open.getId(), "other-id", 60), NotifyAction.RESOLVE)
                .body());
        assertThat(merged.at("/blocks/0/text/text").asText()).isEqualTo(":twisted_rightwards_arrows: Merged: " + open.getTitle());
        assertThat(merged.toString()).contains("*Status*\\nMerged into other-id");
    }

    @Test
    void shouldEscapeMrkdwnAndKeepWithinBlockKitLimits() throws Exception {
        SlackReceiver r = receiverFor("/hook");
        Incident i = Incident.newBuilder(SampleRecords.incident()).setTitle("x".repeat(400))
                .setSummary("<!channel> & <http://evil|click> " + "y".repeat(5000)).build();
        JsonNode body = JSON.readTree(r.notification(i, NotifyAction.TRIGGER).body());
        assertThat(body.at("/blocks/0/text/text").asText()).hasSizeLessThanOrEqualTo(150).endsWith("…");
        String summary = body.at("/blocks/1/text/text").asText();
        assertThat(summary).startsWith("&lt;!channel&gt; &amp; &lt;http://evil|click&gt;").hasSizeLessThanOrEqualTo(3000);
    }

    @Test
    void shouldDeliverOnceThroughA500AndA429WithRetryAfter() throws Exception {
        SlackReceiver r = receiverFor("/hook");
        assertDeliveredThroughA500AndA429(r, r.notification(SampleRecords.incident(), NotifyAction.TRIGGER));
    }

    @Test
    void shouldSendA400ToTheDeadLetterTopicWithoutRetrying() throws Exception {
        Sent sent = assertRejectedWithoutRetrying(receiverFor("/hook"), 400);

        assertThat(deadLetters("flink/notify/slack", sent)).singleElement().satisfies(d -> {
            assertThat(d.getSourceTopic()).isEqualTo("peregrine.incidents");
            assertThat(StandardCharsets.UTF_8.decode(d.getKey()).toString()).isEqualTo(SampleRecords.incident().getId());
            assertThat(StandardCharsets.UTF_8.decode(d.getValue()).toString()).isEqualTo(sent.notification().body());
            assertThat(d.getReasonMessage()).contains("slack trigger", "REJECTED", "HTTP 400");
            assertThat(d.getStage()).isEqualTo("flink/notify/slack");
        });
        assertThat(deadLetters("s", new Sent(sent.notification(), Delivery.Outcome.DELIVERED, 1, 200, "ok"))).isEmpty();
    }

    @Test
    void shouldListHeldIncidentsInADigest() throws Exception {
        SlackReceiver r = receiverFor("/hook");
        List<IncidentNotice> held = List.of(
                new IncidentNotice(Incidents.open("a", Severity.PAGE, 1), NotifyAction.TRIGGER),
                new IncidentNotice(Incidents.resolved("b", 2), NotifyAction.RESOLVE));
        HttpNotification d = r.digest(held, 5);
        assertThat(d.action()).isEqualTo("digest");
        JsonNode body = JSON.readTree(d.body());
        assertThat(body.at("/blocks/0/text/text").asText()).contains("2 incident updates held back");
        assertThat(body.at("/blocks/1/text/text").asText()).contains("*trigger* Page", "(`a`)", "*resolve*", "(`b`)");
        assertThat(body.at("/blocks/2/elements/0/text").asText()).contains("5 notifications over 60/min");
    }
}
