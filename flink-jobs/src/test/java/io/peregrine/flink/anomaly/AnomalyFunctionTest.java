package io.peregrine.flink.anomaly;

import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.flink.anomaly.functions.AnomalyFunction;
import io.peregrine.flink.anomaly.functions.AnomalyRecords;
import io.peregrine.flink.anomaly.records.SliSignals;
import io.peregrine.schema.Alert;
import io.peregrine.schema.AlertKind;
import io.peregrine.schema.AlertStatus;
import io.peregrine.schema.Anomaly;
import io.peregrine.schema.AnomalyDirection;
import io.peregrine.schema.AnomalyMetric;
import io.peregrine.schema.AppId;
import io.peregrine.schema.SampleRecords;
import io.peregrine.schema.Severity;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Anomaly detection on generated SLI windows, through Flink's keyed operator harness. */
class AnomalyFunctionTest {

    private static final AppId APP = SampleRecords.checkoutApp();
    /** Midnight UTC, so hours of day line up with window counts. */
    private static final long T0 = Instant.parse("2025-06-02T00:00:00Z").toEpochMilli();

    private KeyedOneInputStreamOperatorTestHarness<String, SliSignals, Alert> harness;
    private final Random random = new Random(42);
    private long windowMs = 10_000;
    private long next = T0;

    @BeforeEach
    void open() throws Exception {
        open(AnomalyConfig.defaults());
    }

    private void open(AnomalyConfig config) throws Exception {
        harness = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new AnomalyFunction(config)),
                SliSignals::appId, Types.STRING);
        harness.open();
    }

    @AfterEach
    void close() throws Exception {
        harness.close();
    }

    /** One window of {@code requests} with {@code errors} and a p99 of {@code p99Ms}, then the watermark at its end. */
    private void window(long requests, long errors, double p99Ms) throws Exception {
        SliSignals s = new SliSignals(APP, Instant.ofEpochMilli(next), Instant.ofEpochMilli(next + windowMs), requests,
                errors, requests == 0 ? Double.NaN : p99Ms);
        harness.processElement(s, next + windowMs);
        harness.processWatermark(new Watermark(next + windowMs - 1));
        next += windowMs;
    }

    /** Normal traffic: ~100 requests a window, ~1 % errors, p99 ~80 ms with 5 % noise. */
    private void normal(int windows) throws Exception {
        for (int i = 0; i < windows; i++) {
            long requests = Math.round(1000 + 30 * random.nextGaussian());
            long errors = Math.max(0, Math.round(10 + 3 * random.nextGaussian()));
            window(requests, errors, 80 * (1 + 0.05 * random.nextGaussian()));
        }
    }

    private List<Alert> alerts() {
        List<Alert> out = new ArrayList<>(harness.extractOutputValues());
        harness.getOutput().clear();
        return out;
    }

    private List<Anomaly> anomalies() {
        ConcurrentLinkedQueue<StreamRecord<Anomaly>> side = harness.getSideOutput(AnomalyFunction.ANOMALIES);
        List<Anomaly> out = new ArrayList<>();
        if (side != null) {
            side.forEach(r -> out.add(r.getValue()));
            side.clear();
        }
        return out;
    }

    @Test
    void shouldDetectALatencyStepAfterThreeWindowsExplainItAndResolveWithHysteresis() throws Exception {
        normal(100);
        assertThat(alerts()).isEmpty();
        assertThat(anomalies()).isEmpty();

        window(1000, 10, 412);
        window(1000, 10, 410);
        assertThat(alerts()).as("two anomalous windows do not fire").isEmpty();
        List<Anomaly> first = anomalies();
        assertThat(first).hasSize(2).allSatisfy(a -> {
            assertThat(a.getMetric()).isEqualTo(AnomalyMetric.LATENCY_P99);
            assertThat(a.getDirection()).isEqualTo(AnomalyDirection.HIGH);
            assertThat(a.getBaseline()).isBetween(75.0, 85.0);
            assertThat(a.getScore()).isGreaterThan(5);
        });
        assertThat(first.get(0).getExplanation()).matches("checkout: p99 latency 412 ms vs usual 8\\d(\\.\\d+)?±\\d+(\\.\\d+)? ms \\(score \\d+\\.\\d\\)");

        window(1000, 10, 415);
        List<Alert> fired = alerts();
        assertThat(fired).singleElement().satisfies(a -> {
            assertThat(a.getStatus()).isEqualTo(AlertStatus.FIRING);
            assertThat(a.getKind()).isEqualTo(AlertKind.ANOMALY);
            assertThat(a.getSeverity()).isEqualTo(Severity.TICKET);
            assertThat(a.getFingerprint()).isEqualTo(AnomalyRecords.fingerprint(AnomalyMetric.LATENCY_P99, APP.getId()));
            assertThat(a.getStartsAt()).isEqualTo(Instant.ofEpochMilli(T0 + 100 * windowMs));
            assertThat(a.getSummary()).startsWith("checkout: p99 latency anomalous (415 ms vs usual 8");
            assertThat(a.getLabels()).containsEntry("metric", "latency_p99").containsEntry("kind", "ANOMALY");
            assertThat(a.getValue()).isGreaterThan(5);
            assertThat(a.getThreshold()).isEqualTo(5);
            assertThat(a.getBurnRate()).isNull();
        });

        normal(5);
        assertThat(alerts()).as("five calm windows do not resolve yet").isEmpty();
        normal(1);
        assertThat(alerts()).singleElement().satisfies(a -> {
            assertThat(a.getStatus()).isEqualTo(AlertStatus.RESOLVED);
            assertThat(a.getFingerprint()).isEqualTo(fired.get(0).getFingerprint());
            assertThat(a.getStartsAt()).isEqualTo(fired.get(0).getStartsAt());
            assertThat(a.getEndsAt()).isNotNull();
            assertThat(a.getUpdatedAt()).isAfter(fired.get(0).getUpdatedAt());
        });
    }

    @Test
    void shouldNotFireOnASingleSpikeOrOnNoise() throws Exception {
        normal(100);
        window(1000, 10, 900);
        normal(3000);
        assertThat(anomalies()).hasSize(1);
        assertThat(alerts()).isEmpty();
    }

    @Test
    void shouldDetectAnErrorBurstAndATrafficDrop() throws Exception {
        normal(60);
        for (int i = 0; i < 3; i++) {
            window(1000, 300, 80);
        }
        assertThat(alerts()).singleElement().satisfies(a -> {
            assertThat(a.getLabels()).containsEntry("metric", "error_rate");
            assertThat(a.getSummary()).contains("error rate anomalous (30% vs usual 1");
        });
        normal(60);
        alerts();
        anomalies();
        for (int i = 0; i < 3; i++) {
            window(200, 2, 80);
        }
        assertThat(alerts()).singleElement().satisfies(a -> {
            assertThat(a.getLabels()).containsEntry("metric", "request_rate");
            assertThat(a.getSummary()).contains("request rate anomalous (20/s vs usual 100");
        });
        assertThat(anomalies()).extracting(Anomaly::getDirection).containsOnly(AnomalyDirection.LOW);
    }

    @Test
    void shouldIgnoreApplicationsWithTooLittleTraffic() throws Exception {
        for (int i = 0; i < 100; i++) {
            window(3, 0, 10);
        }
        // Every request failing and slow, and five times the traffic: still under min_requests (20).
        for (int i = 0; i < 20; i++) {
            window(15, 15, 900);
        }
        assertThat(alerts()).isEmpty();
        assertThat(anomalies()).isEmpty();
    }

    @Test
    void shouldNotJudgeBeforeTheWarmUpEnds() throws Exception {
        normal(29);
        for (int i = 0; i < 5; i++) {
            window(1000, 10, 900);
        }
        // The first judged window is the 31st: the 30 before it are history, the spike included.
        assertThat(anomalies()).hasSizeLessThanOrEqualTo(4);
        assertThat(alerts()).hasSizeLessThanOrEqualTo(1);
        close();
        open();
        next = T0;
        normal(10);
        for (int i = 0; i < 5; i++) {
            window(1000, 10, 900);
        }
        assertThat(anomalies()).isEmpty();
        assertThat(alerts()).isEmpty();
    }

    @Test
    void shouldLearnDailySeasonalityAndThenStayQuiet() throws Exception {
        windowMs = 60_000;
        int perDay = 1440;
        List<Alert> byDay = new ArrayList<>();
        int[] alertsPerDay = new int[6];
        for (int day = 0; day < 6; day++) {
            for (int m = 0; m < perDay; m++) {
                int hour = m / 60;
                // A nightly batch: five times the traffic and slower responses from 02:00 to 03:00.
                boolean batch = hour == 2;
                long requests = Math.round((batch ? 30_000 : 6_000) * (1 + 0.03 * random.nextGaussian()));
                long errors = Math.round(requests * 0.01 * (1 + 0.2 * random.nextGaussian()));
                window(requests, Math.max(0, errors), (batch ? 300 : 80) * (1 + 0.05 * random.nextGaussian()));
            }
            List<Alert> a = alerts();
            alertsPerDay[day] = (int) a.stream().filter(x -> x.getStatus() == AlertStatus.FIRING).count();
            byDay.addAll(a);
            anomalies();
        }
        // Before the hour has been seen on 3 days, the batch is a surprise to the recent baseline...
        assertThat(alertsPerDay[0]).isGreaterThan(0);
        // ...afterwards it is usual for that hour of the day.
        assertThat(alertsPerDay[3]).isZero();
        assertThat(alertsPerDay[4]).isZero();
        assertThat(alertsPerDay[5]).isZero();

        // And a real anomaly at another hour is still caught, explained against that hour's profile.
        for (int m = 0; m < 3; m++) {
            window(6_000, 60, 900);
        }
        assertThat(alerts()).singleElement().satisfies(a -> assertThat(a.getLabels()).containsEntry("metric", "latency_p99"));
    }

    @Test
    void shouldForgetAnApplicationAfterTheStateTtl() throws Exception {
        harness.setStateTtlProcessingTime(0);
        normal(100);
        assertThat(harness.numKeyedStateEntries()).isEqualTo(1);
        harness.setStateTtlProcessingTime(AnomalyConfig.defaults().stateTtl().toMillis() + 1);
        // The baseline expired: the app warms up afresh, so a changed latency is its new normal, not an anomaly.
        for (int i = 0; i < 5; i++) {
            window(1000, 10, 400);
        }
        assertThat(anomalies()).isEmpty();
        assertThat(alerts()).isEmpty();
    }

    @Test
    void shouldResolveAFiringAnomalyWhenTheApplicationFallsSilent() throws Exception {
        normal(60);
        for (int i = 0; i < 3; i++) {
            window(1000, 10, 500);
        }
        assertThat(alerts()).singleElement().satisfies(a -> assertThat(a.getStatus()).isEqualTo(AlertStatus.FIRING));
        long last = next;
        harness.processWatermark(new Watermark(last + Duration.ofMinutes(5).toMillis() - 1));
        assertThat(alerts()).isEmpty();
        harness.processWatermark(new Watermark(last + Duration.ofMinutes(5).toMillis()));
        assertThat(alerts()).singleElement().satisfies(a -> {
            assertThat(a.getStatus()).isEqualTo(AlertStatus.RESOLVED);
            assertThat(a.getEndsAt()).isEqualTo(Instant.ofEpochMilli(last));
            assertThat(a.getDescription()).contains("no SLI windows since");
        });
        assertThat(harness.numEventTimeTimers()).isZero();
    }

    @Test
    void shouldDropAWindowThatIsNotNewerThanTheLatest() throws Exception {
        normal(60);
        next -= 3 * windowMs;
        window(1000, 900, 900);
        assertThat(anomalies()).isEmpty();
        assertThat(alerts()).isEmpty();
    }
}
