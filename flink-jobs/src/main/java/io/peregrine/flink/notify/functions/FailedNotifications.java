package io.peregrine.flink.notify.functions;

import io.peregrine.flink.notify.http.HttpNotification;
import io.peregrine.flink.notify.http.Sent;
import io.peregrine.schema.DeadLetter;
import io.peregrine.schema.DeadLetterReason;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.util.Collector;

/**
 * Notifications that were not delivered, as dead letters: the request body is the value and the
 * incident id the key, so it can be inspected and re-sent once the cause (a revoked key or webhook,
 * an outage longer than the deadline) is fixed. Bodies hold no secret: receivers add keys and
 * signatures per attempt ({@link HttpNotification}).
 */
public final class FailedNotifications implements FlatMapFunction<Sent, DeadLetter> {
    private static final long serialVersionUID = 1L;

    private final String sourceTopic;
    private final String stage;

    public FailedNotifications(String sourceTopic, String stage) {
        this.sourceTopic = sourceTopic;
        this.stage = stage;
    }

    @Override
    public void flatMap(Sent s, Collector<DeadLetter> out) {
        if (s.delivered()) {
            return;
        }
        HttpNotification n = s.notification();
        out.collect(DeadLetter.newBuilder()
                .setSourceTopic(sourceTopic)
                .setPartition(-1)
                .setOffset(-1L)
                .setKey(ByteBuffer.wrap(n.key().getBytes(StandardCharsets.UTF_8)))
                .setValue(ByteBuffer.wrap(n.body().getBytes(StandardCharsets.UTF_8)))
                .setReason(DeadLetterReason.PROCESSING)
                .setReasonMessage(n.receiver() + " " + n.action() + " " + n.key() + " (" + n.id() + ") " + s.outcome()
                        + " after " + s.attempts() + " attempts: " + s.detail())
                .setStage(stage)
                .setFailedAt(Instant.now())
                .build());
    }
}
