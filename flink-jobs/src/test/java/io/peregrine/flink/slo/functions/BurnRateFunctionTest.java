package io.peregrine.flink.slo.functions;

import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.flink.slo.BurnRateTier;
import io.peregrine.flink.slo.SloConfig;
import io.peregrine.flink.slo.records.Sli;
import io.peregrine.flink.slo.records.SliWindow;
import io.peregrine.schema.Alert;
import io.peregrine.schema.AlertKind;
import io.peregrine.schema.AlertStatus;
import io.peregrine.schema.SampleRecords;
import io.peregrine.schema.Severity;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The burn-rate function in an operator harness: the SRE workbook's numbers, tier suppression, the
 * low-traffic guard, resolving, and keyed state and timers returning to zero.
 */
class BurnRateFunctionTest {

    /** Availability only, so each scenario reads one alert stream (errors also burn the latency SLO). */
    private static final SloConfig AVAILABILITY_ONLY = SloConfig.builder()
            .latency(SloConfig.DEFAULT_LATENCY.withEnabled(false)).build();

    private KeyedOneInputStreamOperatorTestHarness<String, SliWindow, Alert> harness;

    private void open(SloConfig config) throws Exception {
        harness = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new BurnRateFunction(config)), SliWindow::appId, Types.STRING);
        harness.open();
    }

    @AfterEach
    void close() throws Exception {
        if (harness != null) {
            harness.close();
        }
    }

    /** Feeds windows one by one; returns each alert with the end of the window that produced it. */
    private List<Alert> feed(List<SliWindow> windows) throws Exception {
        List<Alert> out = new ArrayList<>();
        for (SliWindow w : windows) {
            harness.processElement(w, w.windowEnd().toEpochMilli());
            out.addAll(drainOutput());
        }
        return out;
    }

    private List<Alert> watermark(Instant t) throws Exception {
        harness.processWatermark(t.toEpochMilli());
        return drainOutput();
    }

    private List<Alert> drainOutput() {
        List<Alert> out = new ArrayList<>(harness.extractOutputValues());
        harness.getOutput().clear();
        return out;
    }

    // ------------------------------------------------------------------ the 30 s page

    @Test
    void shouldPageOnFirstFailingWindowWhenFirstSeenMinutesEarlier() throws Exception {
        open(AVAILABILITY_ONLY);
        Traffic t = Traffic.checkout().healthy(Duration.ofMinutes(3), 100);
        assertThat(feed(t.drain())).isEmpty();
        Instant failureStart = t.now();

        List<Alert> alerts = feed(t.windows(1, 100, 100).drain());

        assertThat(alerts).hasSize(1);
        Alert page = alerts.get(0);
        assertThat(page.getStatus()).isEqualTo(AlertStatus.FIRING);
        assertThat(page.getSeverity()).isEqualTo(Severity.PAGE);
        assertThat(page.getKind()).isEqualTo(AlertKind.SLO_AVAILABILITY);
        assertThat(page.getStartsAt()).isEqualTo(failureStart.plusSeconds(10));
        assertThat(Duration.between(failureStart, page.getStartsAt())).isLessThanOrEqualTo(Duration.ofSeconds(30));
        // Little history: the 1 h window holds the 19 windows seen, 1 of them bad: 100 / 1900.
        assertThat(page.getBurnRate().getLongBurnRate()).isCloseTo(100.0 / 1900 / 0.001, within(1e-6));
        assertThat(page.getBurnRate().getLongWindowMs()).isEqualTo(Duration.ofHours(1).toMillis());
        assertThat(page.getBurnRate().getShortWindowMs()).isEqualTo(Duration.ofMinutes(5).toMillis());
        assertThat(page.getThreshold()).isEqualTo(14.4);
        assertThat(page.getFingerprint()).isEqualTo(SloAlerts.fingerprint(Sli.AVAILABILITY, "k8s/shop/checkout"));
        assertThat(page.getLabels()).containsEntry("app", "k8s/shop/checkout").containsEntry("slo", "availability")
                .containsEntry("severity", "page").containsEntry("namespace", "shop");
        assertThat(page.getSummary()).startsWith("checkout: availability SLO burning");
    }

    @Test
    void shouldPageWithinThreeWindowsForHistoryUpToHalfAnHour() throws Exception {
        // 30 min of history: 180 good windows. 3 bad in 183 = 1.64 % > 1.44 %; 2 in 182 = 1.10 % is not.
        open(AVAILABILITY_ONLY);
        Traffic t = Traffic.checkout().healthy(Duration.ofMinutes(30), 100);
        feed(t.drain());
        assertThat(feed(t.windows(2, 100, 100).drain())).isEmpty();
        assertThat(feed(t.windows(1, 100, 100).drain())).extracting(Alert::getSeverity).containsExactly(Severity.PAGE);
    }

    @Test
    void shouldTakeTheWorkbookDetectionTimeWithFullHistory() throws Exception {
        // 14.4 x 0.1 % x 3600 s = 51.8 s of total outage: the 6th failing window, not earlier; the
        // slower tiers need 13 (6 h at 6x) and 26 (3 d at 1x) windows, so the page comes first.
        open(AVAILABILITY_ONLY);
        Traffic t = Traffic.checkout().healthy(Duration.ofDays(3).plusHours(1), 100);
        feed(t.drain());
        assertThat(feed(t.windows(5, 100, 100).drain())).isEmpty();
        assertThat(feed(t.windows(1, 100, 100).drain())).extracting(Alert::getSeverity).containsExactly(Severity.PAGE);
    }

    // ------------------------------------------------------------------ the workbook's table

    @Test
    void shouldNotPageAtExactlyTheFastBurnThresholdButJustAbove() throws Exception {
        // 14.4 x (1 - 99.9 %) = 1.44 % errors over 1 h and 5 m is at the threshold, not above it.
        // (The fast tier alone: 1.44 % is far above the 6 h tier's 0.6 %.)
        SloConfig fastTierOnly = SloConfig.builder().latency(SloConfig.DEFAULT_LATENCY.withEnabled(false))
                .tiers(List.of(BurnRateTier.WORKBOOK.get(0))).build();
        open(fastTierOnly);
        Traffic at = Traffic.checkout().windows(2 * 360, 10_000, 144);
        assertThat(feed(at.drain())).isEmpty();

        close();
        open(fastTierOnly);
        List<Alert> alerts = feed(Traffic.checkout().windows(360, 10_000, 145).drain());
        assertThat(alerts).hasSize(1);
        assertThat(alerts.get(0).getBurnRate().getShortBurnRate()).isCloseTo(14.5, within(1e-9));
        assertThat(alerts.get(0).getBurnRate().getThreshold()).isEqualTo(14.4);
    }

    @Test
    void shouldPageThroughTheSixHourTierAtSixTimesTheBudget() throws Exception {
        // 0.7 % errors: 7x the budget. Below 14.4 (no 1 h page), above 6 over 6 h and 30 m: a page
        // from the second tier, once the history outgrew the first tier's hour by its 30 m window.
        open(AVAILABILITY_ONLY);
        List<Alert> alerts = feed(Traffic.checkout().windows(6 * 360, 1_000, 7).drain());
        assertThat(alerts).hasSize(1);
        Alert page = alerts.get(0);
        assertThat(page.getSeverity()).isEqualTo(Severity.PAGE);
        assertThat(page.getBurnRate().getLongWindowMs()).isEqualTo(Duration.ofHours(6).toMillis());
        assertThat(page.getBurnRate().getShortWindowMs()).isEqualTo(Duration.ofMinutes(30).toMillis());
        assertThat(page.getBurnRate().getShortBurnRate()).isCloseTo(7, within(1e-9));
        assertThat(page.getThreshold()).isEqualTo(6.0);
        assertThat(Duration.between(Traffic.T0, page.getStartsAt())).isEqualTo(Duration.ofMinutes(90).plusSeconds(10));
    }

    @Test
    void shouldTicketAtTheBudgetRateOverThreeDays() throws Exception {
        // 0.2 % errors: 2x the budget, 10 % of it in 3 days at the 1x rate: a ticket, never a page.
        open(AVAILABILITY_ONLY);
        List<Alert> alerts = feed(Traffic.checkout().windows(3 * 8640, 1_000, 2).drain());
        assertThat(alerts).hasSize(1);
        Alert ticket = alerts.get(0);
        assertThat(ticket.getSeverity()).isEqualTo(Severity.TICKET);
        assertThat(ticket.getLabels()).containsEntry("severity", "ticket");
        assertThat(ticket.getBurnRate().getLongWindowMs()).isEqualTo(Duration.ofDays(3).toMillis());
        assertThat(ticket.getBurnRate().getShortWindowMs()).isEqualTo(Duration.ofHours(6).toMillis());
        assertThat(ticket.getBurnRate().getLongBurnRate()).isCloseTo(2, within(1e-9));
        // Once the history outgrew the 6 h tier by the ticket's own 6 h window.
        assertThat(Duration.between(Traffic.T0, ticket.getStartsAt())).isEqualTo(Duration.ofHours(12).plusSeconds(10));
    }

    @Test
    void shouldStayQuietAtTheBudgetRate() throws Exception {
        // 0.1 % errors is exactly the objective: the budget lasts the period, nothing to say.
        open(AVAILABILITY_ONLY);
        assertThat(feed(Traffic.checkout().windows(3 * 8640, 1_000, 1).drain())).isEmpty();
    }

    @Test
    void shouldEvaluateLatencyAgainstItsOwnObjective() throws Exception {
        // Half the requests slow but successful: 50x the 1 % latency budget, availability untouched.
        open(SloConfig.defaults());
        Traffic t = Traffic.checkout().healthy(Duration.ofMinutes(10), 100);
        feed(t.drain());
        List<Alert> alerts = feed(t.slowWindows(30, 100, 50).drain());
        assertThat(alerts).extracting(Alert::getKind).containsExactly(AlertKind.SLO_LATENCY);
        assertThat(alerts.get(0).getSeverity()).isEqualTo(Severity.PAGE);
        assertThat(alerts.get(0).getBurnRate().getObjective()).isEqualTo(0.99);
        assertThat(alerts.get(0).getDescription()).contains("within 500 ms");
        assertThat(alerts.get(0).getFingerprint())
                .isNotEqualTo(SloAlerts.fingerprint(Sli.AVAILABILITY, "k8s/shop/checkout"));
    }

    @Test
    void shouldPageLatencyOnlyOnceItsWindowsBurnAbove14Point4Times() throws Exception {
        // SloWorkflowIT's service: 3 min healthy, then every request failing (errors are slow too). The
        // 1 % latency budget at 14.4x is 14.4 %; both windows hold all 10 s windows seen so far: 3 bad
        // of 21 is 14.29 %, not above it, 4 of 22 is 18.2 %. Availability (1.44 %) pages at once.
        open(SloConfig.defaults());
        Traffic t = Traffic.checkout().healthy(Duration.ofMinutes(3), 100);
        assertThat(feed(t.drain())).isEmpty();
        Instant failureStart = t.now();
        assertThat(feed(t.windows(1, 100, 100).drain())).extracting(Alert::getKind)
                .containsExactly(AlertKind.SLO_AVAILABILITY);
        assertThat(feed(t.windows(2, 100, 100).drain())).isEmpty();

        List<Alert> latency = feed(t.windows(1, 100, 100).drain());

        assertThat(latency).extracting(Alert::getKind, Alert::getStatus, Alert::getSeverity)
                .containsExactly(tuple(AlertKind.SLO_LATENCY, AlertStatus.FIRING, Severity.PAGE));
        assertThat(latency.get(0).getStartsAt()).isEqualTo(failureStart.plus(Traffic.WINDOW.multipliedBy(4)));
        assertThat(latency.get(0).getBurnRate().getLongBurnRate()).isCloseTo(400.0 / 2200 / 0.01, within(1e-9));
        assertThat(latency.get(0).getBurnRate().getShortBurnRate()).isCloseTo(400.0 / 2200 / 0.01, within(1e-9));
    }

    // ------------------------------------------------------------------ suppression and versions

    @Test
    void shouldSendOneAlertPerSloWhileEveryTierHoldsAndCalmDownTierByTier() throws Exception {
        open(AVAILABILITY_ONLY);
        Traffic t = Traffic.checkout().healthy(Duration.ofDays(3), 100);
        feed(t.drain());
        // A 10 minute total outage: all three tiers hold at its end (1 h: 16.7 %, 6 h: 2.8 %,
        // 3 d: 0.23 % against 1.44 %, 0.6 % and 0.1 %), yet there is one alert, the page.
        List<Alert> outage = feed(t.windows(60, 100, 100).drain());
        assertThat(outage).extracting(Alert::getStatus, Alert::getSeverity)
                .containsExactly(tuple(AlertStatus.FIRING, Severity.PAGE));
        Alert page = outage.get(0);

        // Recovery: the 1 h / 5 m tier stops 5 min later, the 6 h / 30 m one holds 30 min (same
        // severity, no new version); then only the ticket tier holds: the page calms to a ticket;
        // 6 h after the outage the ticket's short window is clean: resolved.
        List<Alert> after = feed(t.healthy(Duration.ofHours(7), 100).drain());
        assertThat(after).extracting(Alert::getStatus, Alert::getSeverity).containsExactly(
                tuple(AlertStatus.FIRING, Severity.TICKET), tuple(AlertStatus.RESOLVED, Severity.TICKET));
        Alert ticket = after.get(0);
        Alert resolved = after.get(1);
        Instant outageEnd = page.getStartsAt().plus(Duration.ofMinutes(10)).minusSeconds(60);
        assertThat(ticket.getFingerprint()).isEqualTo(page.getFingerprint());
        assertThat(resolved.getFingerprint()).isEqualTo(page.getFingerprint());
        assertThat(ticket.getStartsAt()).isEqualTo(page.getStartsAt());
        assertThat(resolved.getStartsAt()).isEqualTo(page.getStartsAt());
        assertThat(Duration.between(outageEnd, ticket.getUpdatedAt()))
                .isBetween(Duration.ofMinutes(29), Duration.ofMinutes(31));
        assertThat(Duration.between(outageEnd, resolved.getEndsAt()))
                .isBetween(Duration.ofHours(5).plusMinutes(55), Duration.ofHours(6).plusMinutes(5));
        assertThat(resolved.getEndsAt()).isEqualTo(resolved.getUpdatedAt());
        assertThat(page.getUpdatedAt()).isBefore(ticket.getUpdatedAt());
        assertThat(ticket.getUpdatedAt()).isBefore(resolved.getUpdatedAt());
        assertThat(page.getEndsAt()).isNull();
    }

    @Test
    void shouldNotTicketAYoungServiceHoursAfterAShortOutageWasPagedAndResolved() throws Exception {
        // 3 min old, 1 min total outage: paged at once, resolved minutes later. The outage spent
        // 2.3 % of a 30-day budget at this traffic: no ticket, not when the 6 h / 30 m tier becomes
        // eligible, nor when the 3 d / 6 h one does.
        open(AVAILABILITY_ONLY);
        Traffic t = Traffic.checkout().healthy(Duration.ofMinutes(3), 100).windows(6, 100, 100)
                .healthy(Duration.ofHours(13), 100);
        assertThat(feed(t.drain())).extracting(Alert::getStatus, Alert::getSeverity).containsExactly(
                tuple(AlertStatus.FIRING, Severity.PAGE), tuple(AlertStatus.RESOLVED, Severity.PAGE));
    }

    @Test
    void shouldEscalateATicketToAPageUnderTheSameFingerprint() throws Exception {
        open(AVAILABILITY_ONLY);
        Traffic t = Traffic.checkout().windows(3 * 8640, 1_000, 2);
        List<Alert> ticket = feed(t.drain());
        assertThat(ticket).extracting(Alert::getSeverity).containsExactly(Severity.TICKET);

        List<Alert> page = feed(t.windows(12, 1_000, 1_000).drain());
        assertThat(page).extracting(Alert::getStatus, Alert::getSeverity)
                .containsExactly(tuple(AlertStatus.FIRING, Severity.PAGE));
        assertThat(page.get(0).getFingerprint()).isEqualTo(ticket.get(0).getFingerprint());
        assertThat(page.get(0).getStartsAt()).isEqualTo(ticket.get(0).getStartsAt());
    }

    // ------------------------------------------------------------------ low traffic

    @Test
    void shouldNotPageFromAHandfulOfRequests() throws Exception {
        open(AVAILABILITY_ONLY);
        Traffic t = Traffic.checkout().windows(6, 1, 0);
        feed(t.drain());
        // 3 requests, all failed: a 1000x burn, but three requests.
        assertThat(feed(t.windows(3, 1, 1).drain())).isEmpty();
        // 20 requests in 5 minutes, 4 failed (20 %, a 200x burn): still fewer than 5 bad ones.
        close();
        open(AVAILABILITY_ONLY);
        Traffic few = Traffic.checkout().windows(16, 1, 0).windows(4, 1, 1);
        assertThat(feed(few.drain())).isEmpty();
        // The fifth bad request in the 5 minute window clears the guard.
        assertThat(feed(few.windows(1, 1, 1).drain())).extracting(Alert::getSeverity).containsExactly(Severity.PAGE);
    }

    @Test
    void shouldHonourAConfiguredGuardAndObjectivePerApp() throws Exception {
        open(SloConfig.fromYaml("""
                slo:
                  low_traffic: {min_requests: 1, min_bad_requests: 1}
                  latency: {enabled: false}
                  apps:
                    - match: "k8s/shop/*"
                      availability: {enabled: false}
                """));
        assertThat(feed(Traffic.checkout().windows(3, 10, 10).drain())).isEmpty();

        close();
        open(SloConfig.fromYaml("""
                slo:
                  low_traffic: {min_requests: 1, min_bad_requests: 1}
                  latency: {enabled: false}
                """));
        assertThat(feed(Traffic.checkout().windows(1, 1, 1).drain())).hasSize(1);
    }

    // ------------------------------------------------------------------ resolve and clean-up

    @Test
    void shouldResolveWhenTrafficStopsAndThenLeaveNoStateOrTimers() throws Exception {
        open(AVAILABILITY_ONLY);
        Traffic t = Traffic.checkout().healthy(Duration.ofMinutes(5), 100);
        feed(t.drain());
        assertThat(feed(t.windows(6, 100, 100).drain())).hasSize(1);
        Instant lastData = t.now();
        assertThat(harness.numKeyedStateEntries()).isEqualTo(1);
        assertThat(harness.numEventTimeTimers()).isEqualTo(1);

        // No more SLI windows; event time moves on with other applications' data. Re-evaluated every
        // minute, the page resolves once its 5 m window holds too few requests to speak.
        List<Alert> quiet = watermark(lastData.plus(Duration.ofHours(7)));
        assertThat(quiet).extracting(Alert::getStatus, Alert::getSeverity)
                .containsExactly(tuple(AlertStatus.RESOLVED, Severity.PAGE));
        assertThat(Duration.between(lastData, quiet.get(0).getEndsAt()))
                .isBetween(Duration.ofMinutes(4), Duration.ofMinutes(6));
        assertThat(harness.numKeyedStateEntries()).isEqualTo(1);

        // Once the last window has left every alerting window (3 d + 1 h), nothing is left.
        assertThat(watermark(lastData.plus(Duration.ofDays(3)).plus(Duration.ofHours(1)))).isEmpty();
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
    }

    @Test
    void shouldKeepOneTimerPerApplicationWhileDataFlows() throws Exception {
        open(SloConfig.defaults());
        Traffic a = Traffic.checkout().healthy(Duration.ofMinutes(30), 100);
        Traffic b = new Traffic(SampleRecords.frontendApp(), Traffic.T0).healthy(Duration.ofMinutes(30), 100);
        feed(a.drain());
        feed(b.drain());
        assertThat(harness.numEventTimeTimers()).isEqualTo(2);
        assertThat(harness.numKeyedStateEntries()).isEqualTo(2);
        feed(a.windows(30, 100, 100).drain());
        assertThat(harness.numEventTimeTimers()).isEqualTo(2);
        watermark(a.now().plus(Duration.ofDays(4)));
        assertThat(harness.numEventTimeTimers()).isZero();
        assertThat(harness.numKeyedStateEntries()).isZero();
    }

    @Test
    void shouldCountOutOfOrderWindowsAndDropOnesOlderThanEveryWindow() throws Exception {
        open(AVAILABILITY_ONLY);
        Traffic t = Traffic.checkout().healthy(Duration.ofMinutes(10), 100);
        List<SliWindow> windows = new ArrayList<>(t.drain());
        List<SliWindow> failing = t.windows(2, 100, 100).drain();
        // The failing windows arrive before the last healthy one: still a page, counted in order.
        SliWindow late = windows.remove(windows.size() - 1);
        feed(windows);
        List<Alert> alerts = new ArrayList<>(feed(failing));
        alerts.addAll(feed(List.of(late)));
        assertThat(alerts).extracting(Alert::getSeverity).containsExactly(Severity.PAGE);

        // A window from four days ago is older than every alerting window: no effect.
        SliWindow ancient = new SliWindow(SampleRecords.checkoutApp(), Traffic.T0.minus(Duration.ofDays(4)),
                Traffic.T0.minus(Duration.ofDays(4)).plusSeconds(10), 1_000_000, 0, 0, 500);
        assertThat(feed(List.of(ancient))).isEmpty();
    }

    @Test
    void shouldNotLetStateGrowWithTheLifeOfTheApplication() {
        BurnRates rates = new BurnRates(SloConfig.defaults());
        assertThat(rates.layout().totalSlots()).isEqualTo(242);
        assertThat(rates.layout().horizonMs()).isEqualTo(BurnRateTier.WORKBOOK.get(2).longWindow().toMillis());
    }

    private static org.assertj.core.data.Offset<Double> within(double d) {
        return org.assertj.core.data.Offset.offset(d);
    }

    private static org.assertj.core.groups.Tuple tuple(Object... values) {
        return org.assertj.core.groups.Tuple.tuple(values);
    }
}
