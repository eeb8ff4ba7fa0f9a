package io.peregrine.flink.notify;

import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.flink.notify.functions.FailedDeliveries;
import io.peregrine.flink.notify.pagerduty.PagerDutyEvents;
import io.peregrine.flink.notify.records.Delivery;
import io.peregrine.schema.DeadLetter;
import io.peregrine.schema.DeadLetterReason;
import io.peregrine.schema.SampleRecords;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.util.ListCollector;
import org.junit.jupiter.api.Test;

class FailedDeliveriesTest {

    @Test
    void shouldDeadLetterUndeliveredNotificationsWithoutTheRoutingKey() throws Exception {
        var event = PagerDutyEvents.trigger(SampleRecords.incident(), "secret-routing-key-0123456789abcd");
        List<DeadLetter> out = new ArrayList<>();
        FailedDeliveries f = new FailedDeliveries("peregrine.incidents", "flink/notify/pagerduty");
        f.flatMap(new Delivery(event, Delivery.Outcome.DELIVERED, 1, 202, "ok"), new ListCollector<>(out));
        assertThat(out).isEmpty();
        f.flatMap(new Delivery(event, Delivery.Outcome.REJECTED, 1, 400, "HTTP 400: invalid routing key"),
                new ListCollector<>(out));
        assertThat(out).singleElement().satisfies(d -> {
            assertThat(d.getReason()).isEqualTo(DeadLetterReason.PROCESSING);
            assertThat(d.getStage()).isEqualTo("flink/notify/pagerduty");
            assertThat(d.getReasonMessage()).contains("REJECTED").contains("HTTP 400").contains(event.dedupKey());
            String value = StandardCharsets.UTF_8.decode(d.getValue().duplicate()).toString();
            assertThat(value).contains("\"routing_key\":\"<redacted>\"").doesNotContain("secret-routing-key")
                    .contains(event.dedupKey());
        });
    }
}
