package io.peregrine.flink.incident.functions;

import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.flink.incident.Fixtures;
import io.peregrine.flink.incident.records.Control;
import io.peregrine.schema.SampleRecords;
import io.peregrine.schema.ServiceSliWindow;
import java.time.Duration;
import java.util.List;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

class AppHeartbeatsTest {

    private static ServiceSliWindow window(String app, int endS) {
        ServiceSliWindow w = SampleRecords.serviceSliWindow();
        w.setApp(Fixtures.app(app));
        w.setWindowStart(Fixtures.T0.plusSeconds(endS - 10));
        w.setWindowEnd(Fixtures.T0.plusSeconds(endS));
        return w;
    }

    private static List<String> heartbeats(OneInputStreamOperatorTestHarness<ServiceSliWindow, Control> h) {
        List<String> out = h.extractOutputValues().stream()
                .peek(c -> assertThat(c.kind).isEqualTo(Control.Kind.HEARTBEAT))
                .map(c -> c.key.substring("k8s/shop/".length())).toList();
        h.getOutput().clear();
        return out;
    }

    @Test
    void shouldSendOneHeartbeatPerApplicationPerIntervalOfItsWindows() throws Exception {
        try (var h = ProcessFunctionTestHarnesses.forProcessFunction(new AppHeartbeats(Duration.ofSeconds(60)))) {
            h.processElement(window("db", 10), 0L);
            h.processElement(window("web", 10), 0L);
            assertThat(heartbeats(h)).containsExactly("db", "web");
            for (int end = 20; end < 70; end += 10) {
                h.processElement(window("db", end), 0L);
                h.processElement(window("web", end), 0L);
            }
            assertThat(heartbeats(h)).isEmpty();
            h.processElement(window("db", 70), 0L);
            h.processElement(window("db", 80), 0L);
            assertThat(heartbeats(h)).containsExactly("db");
            // web stops reporting, and is forgotten: when it is back, it is heard at once.
            h.processElement(window("db", 300), 0L);
            h.processElement(window("web", 310), 0L);
            assertThat(heartbeats(h)).containsExactly("db", "web");
            // A late window says nothing new.
            h.processElement(window("web", 20), 0L);
            assertThat(heartbeats(h)).isEmpty();
        }
    }
}
