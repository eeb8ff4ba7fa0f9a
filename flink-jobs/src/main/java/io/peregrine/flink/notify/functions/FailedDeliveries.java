package io.peregrine.flink.notify.functions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peregrine.flink.notify.records.Delivery;
import java.io.IOException;
import io.peregrine.schema.DeadLetter;
import io.peregrine.schema.DeadLetterReason;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.util.Collector;

/**
 * Notifications that were not delivered, as dead letters: the request body is kept as the value,
 * so it can be inspected and re-sent once the cause (a revoked routing key, an outage longer than
 * the deadline) is fixed; its routing key is redacted, since whoever reads the dead-letter topic
 * must not be able to page through the integration.
 */
public final class FailedDeliveries implements FlatMapFunction<Delivery, DeadLetter> {
    private static final long serialVersionUID = 1L;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String alertsTopic;
    private final String stage;

    public FailedDeliveries(String alertsTopic, String stage) {
        this.alertsTopic = alertsTopic;
        this.stage = stage;
    }

    @Override
    public void flatMap(Delivery d, Collector<DeadLetter> out) {
        if (d.delivered()) {
            return;
        }
        out.collect(DeadLetter.newBuilder()
                .setSourceTopic(alertsTopic)
                .setPartition(-1)
                .setOffset(-1L)
                .setKey(ByteBuffer.wrap(d.event().fingerprint().getBytes(StandardCharsets.UTF_8)))
                .setValue(ByteBuffer.wrap(redacted(d.event().body()).getBytes(StandardCharsets.UTF_8)))
                .setReason(DeadLetterReason.PROCESSING)
                .setReasonMessage("pagerduty " + d.event().action() + " " + d.event().dedupKey() + " " + d.outcome()
                        + " after " + d.attempts() + " attempts: " + d.detail())
                .setStage(stage)
                .setFailedAt(Instant.now())
                .build());
    }

    static String redacted(String body) {
        try {
            JsonNode json = JSON.readTree(body);
            if (json instanceof ObjectNode o && o.has("routing_key")) {
                o.put("routing_key", "<redacted>");
            }
            return json.toString();
        } catch (IOException e) {
            return "<unparsable body redacted>";
        }
    }
}
