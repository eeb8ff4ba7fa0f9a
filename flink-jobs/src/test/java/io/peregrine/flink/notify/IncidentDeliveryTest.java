package io.peregrine.flink.notify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.peregrine.flink.notify.IncidentReceiver.NotifyAction;
import io.peregrine.flink.notify.functions.IncidentDelivery;
import io.peregrine.flink.notify.http.RateLimit;
import io.peregrine.flink.notify.http.RetryPolicy;
import io.peregrine.flink.notify.http.Sent;
import io.peregrine.flink.notify.records.Delivery;
import io.peregrine.flink.notify.webhook.WebhookConfig;
import io.peregrine.flink.notify.webhook.WebhookReceiver;
import io.peregrine.schema.SampleRecords;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.functions.DefaultOpenContext;
import org.apache.flink.streaming.api.functions.async.CollectionSupplier;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.util.MockStreamingRuntimeContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The async delivery function in front of a real HTTP receiver on 127.0.0.1. */
class IncidentDeliveryTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpReceiver hook = WebhookReceiverTest.receiver();

    @AfterEach
    void stop() {
        hook.close();
    }

    @Test
    void shouldNeverLetAResolveOvertakeItsTriggerWhileTheTriggerIsRetried() throws Exception {
        hook.then(HttpReceiver.Answer.of(503), HttpReceiver.Answer.of(503));
        WebhookReceiver receiver = new WebhookReceiver(new WebhookConfig("ops", hook.url("/"), "0123456789abcdef",
                WebhookConfig.Format.PEREGRINE, "", new RetryPolicy("notify.webhooks[0]", Duration.ofSeconds(2),
                Duration.ofMillis(50), Duration.ofMillis(200), Duration.ofSeconds(30)), RateLimit.defaults()));
        IncidentDelivery delivery = new IncidentDelivery(receiver);
        delivery.setRuntimeContext(new MockStreamingRuntimeContext(1, 0));
        delivery.open(DefaultOpenContext.INSTANCE);
        String id = SampleRecords.incident().getId();

        Results first = new Results();
        Results second = new Results();
        delivery.asyncInvoke(receiver.notification(SampleRecords.incident(), NotifyAction.TRIGGER), first);
        delivery.asyncInvoke(receiver.notification(Incidents.resolved(id, 60), NotifyAction.RESOLVE), second);

        assertThat(second.done.get(30, TimeUnit.SECONDS)).singleElement()
                .satisfies(s -> assertThat(s.outcome()).isEqualTo(Delivery.Outcome.DELIVERED));
        assertThat(first.done.get(30, TimeUnit.SECONDS)).singleElement()
                .satisfies(s -> assertThat(s.attempts()).isEqualTo(3));
        assertThat(hook.received()).extracting(r -> JSON.readTree(r.body()).get("action").asText())
                .containsExactly("trigger", "trigger", "trigger", "resolve");
    }

    private static final class Results implements ResultFuture<Sent> {
        final CompletableFuture<List<Sent>> done = new CompletableFuture<>();

        @Override
        public void complete(Collection<Sent> result) {
            done.complete(new ArrayList<>(result));
        }

        @Override
        public void completeExceptionally(Throwable error) {
            done.completeExceptionally(error);
        }

        @Override
        public void complete(CollectionSupplier<Sent> supplier) {
            try {
                done.complete(new ArrayList<>(supplier.get()));
            } catch (Exception e) {
                done.completeExceptionally(e);
            }
        }
    }
}
