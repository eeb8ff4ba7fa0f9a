package io.peregrine.flink.notify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.peregrine.flink.notify.http.RateLimit;
import io.peregrine.flink.notify.http.RetryPolicy;
import io.peregrine.flink.notify.webhook.WebhookConfig;
import io.peregrine.flink.notify.webhook.WebhookSignature;
import io.peregrine.schema.Incident;
import io.peregrine.schema.Severity;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The incident notification pipeline (changes, rate limit, async delivery) on a Flink MiniCluster
 * at parallelism 2, without generic (Kryo) types, against a real HTTP receiver on 127.0.0.1.
 */
class NotifyWorkflowIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    private static final String SECRET = "0123456789abcdef-it";

    @Test
    void shouldTriggerOnceAndResolveOnceThroughRetries() throws Exception {
        try (HttpReceiver hook = WebhookReceiverTest.receiver()) {
            hook.then(HttpReceiver.Answer.of(500), new HttpReceiver.Answer(429, Map.of("Retry-After", "1")));
            Configuration conf = new Configuration();
            conf.set(PipelineOptions.GENERIC_TYPES, false);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
            env.setParallelism(2);
            env.enableCheckpointing(500, CheckpointingMode.EXACTLY_ONCE);
            // Versions of two incidents: a is opened, updated without news, escalated, resolved; b only opens.
            List<Incident> versions = List.of(
                    Incidents.open("a", Severity.TICKET, 0),
                    Incidents.open("a", Severity.TICKET, 5),
                    Incidents.open("b", Severity.PAGE, 6),
                    Incidents.open("a", Severity.PAGE, 10),
                    Incidents.resolved("a", 20));
            NotifyWorkflow.webhook(env.fromData(versions, new AvroTypeInfo<>(Incident.class)).setParallelism(1),
                    new WebhookConfig("ops", hook.url("/in"), SECRET, WebhookConfig.Format.PEREGRINE, "",
                            new RetryPolicy("notify.webhooks[0]", Duration.ofSeconds(2), Duration.ofMillis(50),
                                    Duration.ofMillis(200), Duration.ofSeconds(30)), RateLimit.defaults()),
                    "peregrine.incidents", new DiscardingSink<>());
            env.execute("notify-it");

            ObjectMapper json = new ObjectMapper();
            List<HttpReceiver.Received> got = hook.received();
            assertThat(got).allSatisfy(r -> assertThat(WebhookSignature.verify(SECRET,
                    r.header(WebhookSignature.TIMESTAMP_HEADER), r.header(WebhookSignature.SIGNATURE_HEADER), r.raw(),
                    Instant.now(), Duration.ofMinutes(5))).isEqualTo(WebhookSignature.Verdict.VALID));
            List<String> accepted = got.stream().filter(r -> r.status() == 204).map(r -> {
                try {
                    var b = json.readTree(r.body());
                    return b.get("action").asText() + " " + b.at("/incident/id").asText() + " "
                            + b.at("/incident/severity").asText();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList();
            assertThat(accepted).containsExactlyInAnyOrder("trigger a TICKET", "update a PAGE", "resolve a PAGE",
                    "trigger b PAGE");
            assertThat(accepted.indexOf("trigger a TICKET")).isLessThan(accepted.indexOf("update a PAGE"));
            assertThat(accepted.indexOf("update a PAGE")).isLessThan(accepted.indexOf("resolve a PAGE"));
            assertThat(got).hasSize(6).extracting(HttpReceiver.Received::status).startsWith(500, 429);
        }
    }
}
