package io.peregrine.flink.incident.functions;

import static io.peregrine.flink.incident.Fixtures.at;
import static io.peregrine.flink.incident.Fixtures.edge;
import static io.peregrine.flink.incident.Fixtures.firing;
import static io.peregrine.flink.incident.Fixtures.noEdge;
import static io.peregrine.flink.incident.Fixtures.resolved;
import static io.peregrine.flink.incident.Fixtures.silence;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.flink.incident.Fixtures;
import io.peregrine.flink.incident.IncidentConfig;
import io.peregrine.flink.incident.records.Control;
import io.peregrine.flink.incident.records.Signal;
import io.peregrine.schema.AppId;
import io.peregrine.schema.Evidence;
import io.peregrine.schema.EvidenceRelation;
import io.peregrine.schema.Incident;
import io.peregrine.schema.IncidentStatus;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class IncidentCorrelatorTest {

    private KeyedTwoInputStreamOperatorTestHarness<String, Signal, Control, Incident> harness;

    @BeforeEach
    void open() throws Exception {
        open(Duration.ZERO);
    }

    private void open(Duration groupWait) throws Exception {
        open(groupWait, Duration.ofDays(7));
    }

    private void open(Duration groupWait, Duration stateTtl) throws Exception {
        if (harness != null) {
            harness.close();
        }
        IncidentConfig config = new IncidentConfig(Duration.ofSeconds(10), 1, 1, 4, Duration.ofMinutes(15),
                groupWait, Duration.ofMinutes(5), stateTtl, stateTtl.dividedBy(2));
        harness = new KeyedTwoInputStreamOperatorTestHarness<>(new KeyedCoProcessOperator<>(new IncidentCorrelator(config)),
                s -> IncidentCorrelator.SCOPE, c -> IncidentCorrelator.SCOPE, Types.STRING);
        harness.open();
        // As in the job: the changelog input is idle, event time is the signals'.
        harness.processWatermarkStatus2(org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus.IDLE);
    }

    @AfterEach
    void close() throws Exception {
        harness.close();
    }

    private void signal(Signal s) throws Exception {
        harness.processElement1(s, s.at);
    }

    private void control(Control c) throws Exception {
        harness.processElement2(c, 0L);
    }

    private List<Incident> watermark(int seconds) throws Exception {
        harness.processWatermark1(new org.apache.flink.streaming.api.watermark.Watermark(at(seconds)));
        return drain();
    }

    private List<Incident> drain() {
        List<Incident> out = List.copyOf(harness.extractOutputValues());
        harness.getOutput().clear();
        return out;
    }

    private static Set<String> names(List<AppId> apps) {
        return apps.stream().map(AppId::getName).collect(Collectors.toSet());
    }

    /** web -> orders, cart, users -> db; search unrelated. */
    private void topology() throws Exception {
        control(edge("orders", "db"));
        control(edge("cart", "db"));
        control(edge("users", "db"));
        control(edge("web", "orders"));
        control(edge("web", "cart"));
    }

    @Test
    void shouldGroupADatabaseAndItsCallersIntoOneIncidentWithTheDatabaseAsRootCause() throws Exception {
        open(Duration.ofSeconds(20));
        topology();
        // The callers signal first; the database in the next evaluation; web, two hops up, later.
        signal(firing("orders", 100));
        signal(firing("cart", 100));
        assertThat(watermark(100)).isEmpty(); // group_wait
        signal(firing("db", 110));
        signal(firing("users", 110));
        assertThat(watermark(119)).isEmpty();
        signal(firing("web", 120));
        List<Incident> versions = watermark(120);
        assertThat(versions).singleElement().satisfies(i -> {
            assertThat(i.getStatus()).isEqualTo(IncidentStatus.OPEN);
            assertThat(i.getRootCause().getName()).isEqualTo("db");
        });
        Incident latest = versions.get(0);
        String id = latest.getId();
        assertThat(latest.getRootCauseReasoning()).contains("4 of the 4 other affected applications");
        assertThat(latest.getTitle()).startsWith("db degraded, affecting");
        assertThat(names(latest.getAffectedApps())).containsExactlyInAnyOrder("orders", "cart", "db", "users", "web");
        assertThat(latest.getEvidence()).extracting(e -> e.getApp().getName(), Evidence::getRelation).containsExactly(
                org.assertj.core.groups.Tuple.tuple("db", EvidenceRelation.ROOT),
                org.assertj.core.groups.Tuple.tuple("cart", EvidenceRelation.CLIENT),
                org.assertj.core.groups.Tuple.tuple("orders", EvidenceRelation.CLIENT),
                org.assertj.core.groups.Tuple.tuple("users", EvidenceRelation.CLIENT),
                org.assertj.core.groups.Tuple.tuple("web", EvidenceRelation.TRANSITIVE_CLIENT));
        assertThat(latest.getOpenedAt().toEpochMilli()).isEqualTo(at(100));

        // Resolves only when every alert resolved; then nothing of it is left.
        for (String app : List.of("orders", "cart", "db", "users")) {
            signal(resolved(app, 100, 300));
        }
        assertThat(watermark(300)).singleElement().satisfies(i -> {
            assertThat(i.getId()).isEqualTo(id);
            assertThat(i.getStatus()).isEqualTo(IncidentStatus.OPEN);
            assertThat(i.getUpdatedAt()).isAfter(latest.getUpdatedAt());
        });
        signal(resolved("web", 120, 310));
        assertThat(watermark(310)).singleElement().satisfies(i -> {
            assertThat(i.getStatus()).isEqualTo(IncidentStatus.RESOLVED);
            assertThat(i.getResolvedAt().toEpochMilli()).isEqualTo(at(310));
            assertThat(i.getRootCause().getName()).isEqualTo("db");
        });
        assertThat(watermark(10_000)).isEmpty();
        assertThat(harness.numEventTimeTimers()).isZero();
        // Only the topology is left; removing it leaves nothing at all.
        for (String[] e : new String[][] {{"orders", "db"}, {"cart", "db"}, {"users", "db"}, {"web", "orders"}, {"web", "cart"}}) {
            control(noEdge(e[0], e[1]));
        }
        assertThat(harness.numKeyedStateEntries()).isZero();
    }

    @Test
    void shouldDecideTheSameWhateverOrderSignalsOfOneInstantArriveIn() throws Exception {
        topology();
        signal(firing("db", 100));
        signal(firing("orders", 100));
        Incident a = watermark(100).get(0);
        open(Duration.ZERO);
        topology();
        signal(firing("orders", 100));
        signal(firing("db", 100));
        Incident b = watermark(100).get(0);
        assertThat(b).isEqualTo(a);
        assertThat(b.getRootCause().getName()).isEqualTo("db");
    }

    /** The correlator's next processing-time tick, without moving the clock: what arrived applies. */
    private List<Incident> tick() throws Exception {
        harness.setProcessingTime(harness.getProcessingTime());
        return drain();
    }

    @Test
    void shouldWriteAnIncidentAtTheNextTickWithoutWaitingForTheWatermark() throws Exception {
        wallClock(Duration.ZERO);
        topology();
        // Both of one evaluation, in either order, arrive before the tick: decided as one instant.
        signal(firing("orders", 100));
        signal(firing("db", 100));
        List<Incident> versions = tick();
        assertThat(versions).singleElement().satisfies(i -> {
            assertThat(i.getStatus()).isEqualTo(IncidentStatus.OPEN);
            assertThat(i.getRootCause().getName()).isEqualTo("db");
            assertThat(i.getUpdatedAt().toEpochMilli()).isEqualTo(at(100));
        });
        // The watermark passing later changes nothing; a signal after the tick joins at its own tick.
        assertThat(watermark(100)).isEmpty();
        signal(firing("web", 110));
        assertThat(tick()).singleElement().satisfies(i -> {
            assertThat(i.getId()).isEqualTo(versions.get(0).getId());
            assertThat(names(i.getAffectedApps())).containsExactlyInAnyOrder("orders", "db", "web");
            assertThat(i.getUpdatedAt().toEpochMilli()).isEqualTo(at(110));
        });
        // Versions never go back in event time, though the watermark lags the signals.
        for (String app : List.of("orders", "db", "web")) {
            signal(resolved(app, app.equals("web") ? 110 : 100, 130));
        }
        assertThat(tick()).singleElement().satisfies(i -> {
            assertThat(i.getStatus()).isEqualTo(IncidentStatus.RESOLVED);
            assertThat(i.getResolvedAt().toEpochMilli()).isEqualTo(at(130));
        });
        assertThat(watermark(10_000)).isEmpty();
        assertThat(harness.numEventTimeTimers()).isZero();
    }

    @Test
    void shouldWriteANewIncidentUnderTheSameIdWhicheverOfItsFirstAlertsArrivedFirst() throws Exception {
        // One evaluation's alerts reach the correlator in separate ticks, as after a restore they may
        // in the other order: the first version (the page) carries the same id either way.
        List<String> ids = new java.util.ArrayList<>();
        for (List<String> order : List.of(List.of("orders", "db"), List.of("db", "orders"))) {
            open(Duration.ofSeconds(20));
            wallClock(Duration.ZERO);
            topology();
            for (String app : order) {
                signal(firing(app, 100));
                assertThat(tick()).isEmpty(); // group_wait
            }
            List<Incident> versions = watermark(120);
            assertThat(versions).singleElement().satisfies(i -> assertThat(i.getRootCause().getName()).isEqualTo("db"));
            ids.add(versions.get(0).getId());
            // Its alerts resolve it under that id; nothing is left behind under the other.
            signal(resolved("orders", 100, 130));
            signal(resolved("db", 100, 130));
            assertThat(watermark(130)).singleElement().satisfies(i -> {
                assertThat(i.getId()).isEqualTo(versions.get(0).getId());
                assertThat(i.getStatus()).isEqualTo(IncidentStatus.RESOLVED);
            });
            assertThat(watermark(10_000)).isEmpty();
        }
        assertThat(ids.get(1)).isEqualTo(ids.get(0)).isEqualTo(Incidents.id(firing("db", 100)));
    }

    @Test
    void shouldWriteABacklogInstantByInstantEndingGroupWaitInBetween() throws Exception {
        open(Duration.ofSeconds(20));
        wallClock(Duration.ZERO);
        topology();
        // A minute of signals arrives at once (a restore's backlog) before any tick; the watermark
        // passes 125: group_wait ends at 120, before db signals at 130, so the first version is
        // orders alone, then db joins, as timers at each instant decide.
        signal(firing("orders", 100));
        signal(firing("db", 130));
        signal(firing("search", 160));
        List<Incident> versions = watermark(125);
        assertThat(versions).extracting(i -> names(i.getAffectedApps()), i -> i.getUpdatedAt().toEpochMilli())
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(Set.of("orders"), at(120)),
                        org.assertj.core.groups.Tuple.tuple(Set.of("orders", "db"), at(130)));
        // search, unrelated, opened at 160: its group_wait ends with the watermark (or the wall clock).
        assertThat(tick()).isEmpty();
        assertThat(watermark(180)).singleElement().satisfies(i -> assertThat(names(i.getAffectedApps()))
                .containsExactly("search"));
    }

    @Test
    void shouldNotEndGroupWaitOnTheSignalsOfOneUpstreamInstanceAlone() throws Exception {
        open(Duration.ofSeconds(20));
        wallClock(Duration.ZERO);
        topology();
        // One upstream instance runs ahead (orders at 100, then its own later signal at 150); the
        // other's db signal of 100 comes in a later tick, before the watermark passes 120.
        signal(firing("orders", 100));
        signal(firing("search", 150));
        assertThat(tick()).isEmpty();
        signal(firing("db", 100));
        assertThat(tick()).isEmpty();
        assertThat(watermark(120)).singleElement().satisfies(i -> {
            assertThat(names(i.getAffectedApps())).containsExactlyInAnyOrder("orders", "db");
            assertThat(i.getRootCause().getName()).isEqualTo("db");
        });
    }

    @Test
    void shouldIgnoreASignalOlderThanTheMemberItWouldReplace() throws Exception {
        wallClock(Duration.ZERO);
        signal(firing("db", 100));
        assertThat(tick()).hasSize(1);
        // A resolve decided before the firing version that was applied (a delayed duplicate).
        signal(resolved("db", 90, 95));
        assertThat(tick()).isEmpty();
        assertThat(watermark(200)).isEmpty();
    }

    @Test
    void shouldEndGroupWaitInProcessingTimeWhenEventTimeDoesNotMove() throws Exception {
        open(Duration.ofSeconds(20));
        wallClock(Duration.ZERO);
        topology();
        signal(firing("orders", 100));
        assertThat(tick()).isEmpty(); // group_wait
        signal(firing("db", 105));
        wallClock(Duration.ofSeconds(19));
        assertThat(drain()).isEmpty();
        // No signal and no watermark since: the wall clock ends group_wait, with db as root cause.
        wallClock(Duration.ofSeconds(20));
        assertThat(drain()).singleElement().satisfies(i -> {
            assertThat(i.getStatus()).isEqualTo(IncidentStatus.OPEN);
            assertThat(i.getRootCause().getName()).isEqualTo("db");
        });
        assertThat(watermark(120)).isEmpty(); // written once
    }

    @Test
    void shouldWriteAnIncidentWhoseAlertFiresAndResolvesBeforeTheWatermarkPassesEither() throws Exception {
        // A backlog read at once (a start, a restore): the watermark trails, and each alert's
        // resolve arrives before its firing was applied. Both must be applied, in event-time order.
        open(Duration.ofSeconds(10));
        control(silence("maint-db", "app", "k8s/shop/db", false, 0, 150));
        signal(firing("db", 100));
        signal(firing("search", 100));
        signal(resolved("db", 100, 200));
        signal(resolved("search", 100, 210));
        List<Incident> versions = watermark(1_000);
        assertThat(versions).extracting(i -> i.getAffectedApps().get(0).getName(), Incident::getStatus,
                i -> i.getUpdatedAt().toEpochMilli(), Incident::getSilencedBy).containsExactly(
                org.assertj.core.groups.Tuple.tuple("db", IncidentStatus.OPEN, at(110), List.of("maint-db")),
                org.assertj.core.groups.Tuple.tuple("search", IncidentStatus.OPEN, at(110), List.of()),
                org.assertj.core.groups.Tuple.tuple("db", IncidentStatus.OPEN, at(150), List.of()),
                org.assertj.core.groups.Tuple.tuple("db", IncidentStatus.RESOLVED, at(200), List.of()),
                org.assertj.core.groups.Tuple.tuple("search", IncidentStatus.RESOLVED, at(210), List.of()));
        assertThat(harness.numEventTimeTimers()).isZero();
        assertThat(harness.numKeyedStateEntries()).isZero();
    }

    @Test
    void shouldMergeIncidentsOfCallersWhenTheirCommonDependencySignalsLater() throws Exception {
        topology();
        signal(firing("orders", 100));
        signal(firing("cart", 100));
        List<Incident> two = watermark(100);
        assertThat(two).hasSize(2);
        signal(firing("db", 110));
        List<Incident> out = watermark(110);
        String survivor = two.stream().min(java.util.Comparator.comparing(Incident::getId)).orElseThrow().getId();
        String absorbed = two.stream().max(java.util.Comparator.comparing(Incident::getId)).orElseThrow().getId();
        assertThat(out).hasSize(2);
        assertThat(out.get(0)).satisfies(i -> {
            assertThat(i.getId()).isEqualTo(absorbed);
            assertThat(i.getStatus()).isEqualTo(IncidentStatus.RESOLVED);
            assertThat(i.getSummary()).startsWith("Merged into incident " + survivor);
        });
        assertThat(out.get(1)).satisfies(i -> {
            assertThat(i.getId()).isEqualTo(survivor);
            assertThat(i.getRootCause().getName()).isEqualTo("db");
            assertThat(names(i.getAffectedApps())).containsExactlyInAnyOrder("orders", "cart", "db");
        });
        for (String app : List.of("orders", "cart", "db")) {
            signal(resolved(app, 100, 200));
        }
        assertThat(watermark(200)).singleElement().satisfies(i -> {
            assertThat(i.getId()).isEqualTo(survivor);
            assertThat(i.getStatus()).isEqualTo(IncidentStatus.RESOLVED);
        });
        assertThat(harness.numEventTimeTimers()).isZero();
    }

    @Test
    void shouldKeepUnrelatedServicesInSeparateIncidents() throws Exception {
        topology();
        signal(firing("db", 100));
        signal(firing("search", 100));
        List<Incident> out = watermark(100);
        assertThat(out).hasSize(2);
        assertThat(out).extracting(i -> i.getRootCause().getName()).containsExactlyInAnyOrder("db", "search");
        assertThat(out.get(0).getId()).isNotEqualTo(out.get(1).getId());
        // Two callers of one server that is not signalling are not related to each other either.
        signal(firing("orders", 110));
        assertThat(watermark(110)).singleElement().satisfies(i -> assertThat(names(i.getAffectedApps()))
                .containsExactlyInAnyOrder("db", "orders"));
    }

    @Test
    void shouldOpenANewIncidentForARelatedSignalAfterTheGroupWindow() throws Exception {
        topology();
        signal(firing("db", 100));
        String first = watermark(100).get(0).getId();
        signal(firing("orders", 100 + 301));
        List<Incident> out = watermark(100 + 301);
        assertThat(out).singleElement().satisfies(i -> {
            assertThat(i.getId()).isNotEqualTo(first);
            assertThat(names(i.getAffectedApps())).containsExactly("orders");
        });
    }

    @Test
    void shouldMarkAnIncidentSilencedOnlyWhileEveryFiringAlertIsSilenced() throws Exception {
        topology();
        control(silence("maint-db", "app", "k8s/shop/db", false, 0, 400));
        control(silence("maint-any", "app", "k8s/shop/(orders|nothing)", true, 200, 250));
        signal(firing("db", 100));
        assertThat(watermark(100)).singleElement().satisfies(i -> assertThat(i.getSilencedBy()).containsExactly("maint-db"));
        // cart is not silenced: neither is the incident.
        signal(firing("cart", 150));
        assertThat(watermark(150)).singleElement().satisfies(i -> assertThat(i.getSilencedBy()).isEmpty());
        signal(resolved("cart", 150, 180));
        assertThat(watermark(180)).singleElement().satisfies(i -> assertThat(i.getSilencedBy()).containsExactly("maint-db"));
        signal(firing("orders", 190));
        assertThat(watermark(190)).singleElement().satisfies(i -> assertThat(i.getSilencedBy()).isEmpty());
        // The regex silence starts at 200 and covers orders: silenced by both, until it ends at 250.
        assertThat(watermark(200)).singleElement().satisfies(i ->
                assertThat(i.getSilencedBy()).containsExactly("maint-any", "maint-db"));
        assertThat(watermark(250)).singleElement().satisfies(i -> assertThat(i.getSilencedBy()).isEmpty());
        signal(resolved("orders", 190, 260));
        assertThat(watermark(260)).singleElement().satisfies(i -> assertThat(i.getSilencedBy()).containsExactly("maint-db"));
        // The database's silence ends while its incident is open: a version that notifiers deliver.
        assertThat(watermark(400)).singleElement().satisfies(i -> {
            assertThat(i.getStatus()).isEqualTo(IncidentStatus.OPEN);
            assertThat(i.getSilencedBy()).isEmpty();
        });
        signal(resolved("db", 100, 500));
        assertThat(watermark(500)).singleElement().satisfies(i -> assertThat(i.getStatus()).isEqualTo(IncidentStatus.RESOLVED));
        assertThat(harness.numEventTimeTimers()).isZero();
    }

    @Test
    void shouldWriteTheUnsilencedVersionAtTheSilencesEndWhenLaterSignalsWaitForTheTick() throws Exception {
        wallClock(Duration.ZERO);
        control(silence("maint-db", "app", "k8s/shop/db", false, 0, 150));
        signal(firing("db", 100));
        assertThat(tick()).singleElement().satisfies(i -> assertThat(i.getSilencedBy()).containsExactly("maint-db"));
        assertThat(watermark(120)).isEmpty();
        // A later signal arrived, not yet applied, when the watermark passes the silence's end:
        // the end is written at its own instant, before the signal's.
        signal(firing("search", 200));
        assertThat(watermark(160)).extracting(i -> i.getAffectedApps().get(0).getName(),
                i -> i.getUpdatedAt().toEpochMilli(), Incident::getSilencedBy).containsExactly(
                org.assertj.core.groups.Tuple.tuple("db", at(150), List.of()),
                org.assertj.core.groups.Tuple.tuple("search", at(200), List.of()));
        // The same when a tick applies the later signal before the watermark reaches the end.
        control(silence("maint-db2", "app", "k8s/shop/db", false, 0, 300));
        assertThat(tick()).singleElement().satisfies(i -> assertThat(i.getSilencedBy()).containsExactly("maint-db2"));
        signal(resolved("search", 200, 350));
        assertThat(tick()).extracting(i -> i.getAffectedApps().get(0).getName(),
                i -> i.getUpdatedAt().toEpochMilli(), Incident::getSilencedBy).containsExactly(
                org.assertj.core.groups.Tuple.tuple("db", at(300), List.of()),
                org.assertj.core.groups.Tuple.tuple("search", at(350), List.of()));
        assertThat(watermark(400)).isEmpty();
    }

    @Test
    void shouldWriteTheFirstVersionAtTheEndOfGroupWaitWhenABacklogRunsAheadOfTheWatermark() throws Exception {
        open(Duration.ofSeconds(10));
        wallClock(Duration.ZERO);
        control(silence("maint-db", "app", "k8s/shop/db", false, 0, 150));
        // A backlog: the database fires, search fires, the database resolves after its silence
        // ended, all before the watermark passes the database's group_wait.
        signal(firing("db", 100));
        signal(firing("search", 130));
        signal(resolved("db", 100, 200));
        assertThat(tick()).isEmpty();
        assertThat(watermark(115)).extracting(i -> i.getAffectedApps().get(0).getName(), Incident::getStatus,
                i -> i.getUpdatedAt().toEpochMilli(), Incident::getSilencedBy).containsExactly(
                org.assertj.core.groups.Tuple.tuple("db", IncidentStatus.OPEN, at(110), List.of("maint-db")));
        assertThat(watermark(145)).extracting(i -> i.getAffectedApps().get(0).getName(), Incident::getStatus,
                i -> i.getUpdatedAt().toEpochMilli(), Incident::getSilencedBy).containsExactly(
                org.assertj.core.groups.Tuple.tuple("search", IncidentStatus.OPEN, at(140), List.of()),
                org.assertj.core.groups.Tuple.tuple("db", IncidentStatus.OPEN, at(150), List.of()),
                org.assertj.core.groups.Tuple.tuple("db", IncidentStatus.RESOLVED, at(200), List.of()));
    }

    @Test
    void shouldEndGroupWaitByTheWallClockWhenTheWatermarkStalls() throws Exception {
        open(Duration.ofSeconds(10));
        wallClock(Duration.ZERO);
        signal(firing("db", 100));
        signal(resolved("db", 100, 130));
        assertThat(tick()).isEmpty();
        // No watermark comes (an idle partition): 10 s of wall clock end group_wait, at its end in event time.
        wallClock(Duration.ofSeconds(10));
        assertThat(tick()).extracting(Incident::getStatus, i -> i.getUpdatedAt().toEpochMilli()).containsExactly(
                org.assertj.core.groups.Tuple.tuple(IncidentStatus.OPEN, at(110)),
                org.assertj.core.groups.Tuple.tuple(IncidentStatus.RESOLVED, at(130)));
    }

    @Test
    void shouldDropTimersAndStateOfSilencesThatAreDeletedOrEnd() throws Exception {
        control(silence("later", "app", "x", false, 1_000, 2_000));
        control(silence("sooner", "app", "x", false, 0, 50));
        assertThat(harness.numEventTimeTimers()).isEqualTo(4);
        control(Control.silence("later", null));
        assertThat(harness.numEventTimeTimers()).isEqualTo(2);
        assertThat(watermark(50)).isEmpty();
        assertThat(harness.numEventTimeTimers()).isZero();
        assertThat(harness.numKeyedStateEntries()).isZero();
        // A silence that already ended when it arrives is not kept.
        control(silence("old", "app", "x", false, 0, 40));
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
    }

    /** Processing time, as both TTL and processing-time timers see it. */
    private void wallClock(Duration sinceStart) throws Exception {
        harness.setStateTtlProcessingTime(sinceStart.toMillis());
        harness.setProcessingTime(sinceStart.toMillis());
    }

    @Test
    void shouldStopGroupingAlongAnEdgeOnceItsStateExpired() throws Exception {
        open(Duration.ZERO, Duration.ofHours(1));
        wallClock(Duration.ZERO);
        control(edge("orders", "db"));
        wallClock(Duration.ofMinutes(30));
        control(edge("cart", "db"));
        // While both edges live, db and its two callers are one incident.
        signal(firing("db", 100));
        signal(firing("orders", 100));
        signal(firing("cart", 100));
        assertThat(watermark(100)).singleElement().satisfies(i ->
                assertThat(names(i.getAffectedApps())).containsExactlyInAnyOrder("db", "orders", "cart"));
        for (String app : List.of("db", "orders", "cart")) {
            signal(resolved(app, 100, 200));
        }
        assertThat(watermark(200)).singleElement().satisfies(i -> assertThat(i.getStatus()).isEqualTo(IncidentStatus.RESOLVED));

        // An hour after it was written (the TTL), orders -> db is gone from state, and from grouping:
        // no tombstone came, the job did not restart. cart -> db, written later, still holds.
        wallClock(Duration.ofMinutes(62));
        signal(firing("db", 1_000));
        signal(firing("orders", 1_000));
        signal(firing("cart", 1_000));
        List<Incident> out = watermark(1_000);
        assertThat(out).hasSize(2);
        assertThat(out).extracting(i -> names(i.getAffectedApps()))
                .containsExactlyInAnyOrder(Set.of("db", "cart"), Set.of("orders"));
        // Re-written, the edge counts again: web, which calls orders, relates both, and merges them.
        control(edge("orders", "db"));
        control(edge("web", "orders"));
        signal(firing("web", 1_010));
        List<Incident> merged = watermark(1_010);
        assertThat(merged).filteredOn(i -> i.getStatus() == IncidentStatus.OPEN).singleElement()
                .satisfies(i -> assertThat(names(i.getAffectedApps())).containsExactlyInAnyOrder("db", "cart", "orders", "web"));
        assertThat(merged).filteredOn(i -> i.getStatus() == IncidentStatus.RESOLVED).singleElement()
                .satisfies(i -> assertThat(names(i.getAffectedApps())).containsExactly("orders"));
    }

    @Test
    void shouldLeaveNoStateOrTimersOnceEverythingResolvedOrExpired() throws Exception {
        open(Duration.ofSeconds(10), Duration.ofHours(1));
        wallClock(Duration.ZERO);
        topology();
        control(silence("maint", "app", "k8s/shop/search", false, 0, 500));
        // One incident resolves; two merge (orders' and cart's, joined by db) and then resolve;
        // search's resolve never comes.
        signal(firing("users", 100));
        signal(firing("orders", 100));
        signal(firing("cart", 105));
        signal(firing("search", 105));
        watermark(120);
        signal(firing("db", 130));
        signal(resolved("users", 100, 140));
        watermark(140);
        for (String app : List.of("orders", "cart", "db")) {
            signal(resolved(app, app.equals("db") ? 130 : app.equals("orders") ? 100 : 105, 200));
        }
        List<Incident> last = watermark(1_000);
        assertThat(last).filteredOn(i -> i.getStatus() == IncidentStatus.RESOLVED).hasSize(1);
        assertThat(last).filteredOn(i -> i.getStatus() == IncidentStatus.OPEN).singleElement()
                .satisfies(i -> assertThat(names(i.getAffectedApps())).containsExactly("search"));
        assertThat(harness.numEventTimeTimers()).isZero();
        assertThat(harness.numKeyedStateEntries()).isPositive();

        // Nothing is heard of search for stale_after (30m): its incident resolves, saying why.
        wallClock(Duration.ofMinutes(29));
        assertThat(drain()).isEmpty();
        wallClock(Duration.ofMinutes(30));
        assertThat(drain()).singleElement().satisfies(i -> {
            assertThat(names(i.getAffectedApps())).containsExactly("search");
            assertThat(i.getStatus()).isEqualTo(IncidentStatus.RESOLVED);
            assertThat(Incidents.staleReason(i)).hasValueSatisfying(r -> assertThat(r).contains("no data for 30m"));
        });

        // Past the TTL: the edges (no tombstones came) and what is left of search (the start of its
        // alert's episode) expire, and the sweep removes them from the backend.
        wallClock(Duration.ofSeconds(3630));
        assertThat(harness.numKeyedStateEntries()).isPositive(); // expired, not yet removed
        wallClock(Duration.ofMinutes(91));
        assertThat(drain()).isEmpty();
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
        assertThat(harness.numProcessingTimeTimers()).isZero();
    }

    private void heartbeat(String app) throws Exception {
        control(Control.heartbeat(Fixtures.app(app).getId()));
    }

    @Test
    void shouldResolveAnIncidentHeardOfByNothingForStaleAfterOnceAndOpenANewOneWhenItsAlertFiresAgain() throws Exception {
        open(Duration.ZERO, Duration.ofHours(1)); // stale_after 30m
        wallClock(Duration.ZERO);
        topology();
        signal(firing("db", 100));
        signal(firing("orders", 100));
        Incident opened = watermark(100).get(0);
        // The alerts fire on, unchanged; db still reports SLI windows at 20m, orders never again.
        wallClock(Duration.ofMinutes(20));
        heartbeat("db");
        heartbeat("search"); // not a member: changes nothing
        wallClock(Duration.ofMinutes(49));
        assertThat(drain()).isEmpty();
        wallClock(Duration.ofMinutes(50));
        Incident stale = drain().get(0);
        assertThat(stale.getId()).isEqualTo(opened.getId());
        assertThat(stale.getStatus()).isEqualTo(IncidentStatus.RESOLVED);
        assertThat(stale.getUpdatedAt()).isAfter(opened.getUpdatedAt());
        assertThat(stale.getResolvedAt()).isNotNull();
        assertThat(stale.getAlertFingerprints()).isEqualTo(opened.getAlertFingerprints());
        assertThat(stale.getSummary()).startsWith("Stale: no data for 30m").contains("did not recover");
        assertThat(Incidents.staleReason(stale)).hasValueSatisfying(r ->
                assertThat(r).contains("k8s/shop/db").contains("k8s/shop/orders").endsWith("did not recover."));
        wallClock(Duration.ofMinutes(55));
        assertThat(drain()).isEmpty(); // once

        // orders resolves after all: no incident holds it any more, nothing is written.
        signal(resolved("orders", 100, 4_000));
        assertThat(watermark(4_000)).isEmpty();
        // db's alert fires again (the same episode, escalated): a new incident, under a new id.
        Signal again = Signal.of(Fixtures.alert("db", io.peregrine.schema.AlertStatus.FIRING, 100, 4_010), true, false,
                at(4_010));
        again.alert.setSeverity(io.peregrine.schema.Severity.TICKET);
        signal(again);
        Incident reopened = watermark(4_010).get(0);
        assertThat(reopened.getId()).isNotEqualTo(opened.getId());
        assertThat(reopened.getStatus()).isEqualTo(IncidentStatus.OPEN);
        assertThat(names(reopened.getAffectedApps())).containsExactly("db");
        signal(resolved("db", 100, 4_100));
        assertThat(watermark(4_100)).singleElement().satisfies(i -> {
            assertThat(i.getId()).isEqualTo(reopened.getId());
            assertThat(i.getStatus()).isEqualTo(IncidentStatus.RESOLVED);
            assertThat(Incidents.staleReason(i)).isEmpty();
        });

        // Nothing left once the edges expired: no state, no timer.
        wallClock(Duration.ofHours(3));
        assertThat(drain()).isEmpty();
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
        assertThat(harness.numProcessingTimeTimers()).isZero();
    }

    @Test
    void shouldResolveAnIncidentWhoseAlertsNeverChangeBeforeItsStateExpiresEvenWhileItsAppReports() throws Exception {
        open(Duration.ZERO, Duration.ofHours(1));
        wallClock(Duration.ZERO);
        signal(firing("db", 100));
        String id = watermark(100).get(0).getId();
        // A resolve that was lost: db reports on, its alert never changes again.
        for (int m = 15; m <= 55; m += 15) {
            wallClock(Duration.ofMinutes(m));
            heartbeat("db");
            assertThat(drain()).isEmpty();
        }
        // Its state (and the alert's hysteresis state) expire at 60m: the last call comes before.
        wallClock(Duration.ofMinutes(59));
        assertThat(drain()).singleElement().satisfies(i -> {
            assertThat(i.getId()).isEqualTo(id);
            assertThat(i.getStatus()).isEqualTo(IncidentStatus.RESOLVED);
            assertThat(Incidents.staleReason(i)).hasValueSatisfying(r -> assertThat(r).contains("no alert change since"));
        });
        wallClock(Duration.ofHours(3));
        assertThat(drain()).isEmpty();
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertThat(harness.numProcessingTimeTimers()).isZero();
    }

    @Test
    void shouldCheckIncidentsRestoredFromAVersionWithoutStaleChecksForStalenessToo() throws Exception {
        open(Duration.ZERO, Duration.ofHours(1));
        wallClock(Duration.ZERO);
        signal(firing("db", 100));
        String id = watermark(100).get(0).getId();
        // As a checkpoint of the previous version has it: the incident, without its liveness.
        var backend = harness.getOperator().getKeyedStateBackend();
        backend.setCurrentKey(IncidentCorrelator.SCOPE);
        org.apache.flink.api.common.state.MapStateDescriptor<String, io.peregrine.flink.incident.records.Liveness> d =
                new org.apache.flink.api.common.state.MapStateDescriptor<>("incident-liveness", Types.STRING,
                        io.peregrine.flink.incident.records.Liveness.typeInfo());
        d.enableTimeToLive(org.apache.flink.api.common.state.StateTtlConfig.newBuilder(Duration.ofHours(1))
                .setUpdateType(org.apache.flink.api.common.state.StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(org.apache.flink.api.common.state.StateTtlConfig.StateVisibility.NeverReturnExpired)
                .build());
        backend.getPartitionedState(org.apache.flink.runtime.state.VoidNamespace.INSTANCE,
                org.apache.flink.runtime.state.VoidNamespaceSerializer.INSTANCE, d).clear();
        var snapshot = harness.snapshot(1, 1);
        harness.close();
        IncidentConfig config = new IncidentConfig(Duration.ofSeconds(10), 1, 1, 4, Duration.ofMinutes(15),
                Duration.ZERO, Duration.ofMinutes(5), Duration.ofHours(1), Duration.ofMinutes(30));
        harness = new KeyedTwoInputStreamOperatorTestHarness<>(new KeyedCoProcessOperator<>(new IncidentCorrelator(config)),
                s -> IncidentCorrelator.SCOPE, c -> IncidentCorrelator.SCOPE, Types.STRING);
        harness.initializeState(snapshot);
        harness.setProcessingTime(Duration.ofMinutes(5).toMillis());
        harness.setStateTtlProcessingTime(Duration.ofMinutes(5).toMillis());
        harness.open();
        heartbeat("search"); // anything: the restored incident is adopted, its stale_after starts now
        wallClock(Duration.ofMinutes(34));
        assertThat(drain()).isEmpty();
        wallClock(Duration.ofMinutes(35));
        assertThat(drain()).singleElement().satisfies(i -> {
            assertThat(i.getId()).isEqualTo(id);
            assertThat(Incidents.staleReason(i)).isPresent();
        });
    }

    @Test
    void shouldKeepAnIncidentOpenWhileItsMembersChangeOrTheirAppsReport() throws Exception {
        open(Duration.ZERO, Duration.ofHours(1));
        wallClock(Duration.ZERO);
        topology();
        signal(firing("db", 100));
        watermark(100);
        wallClock(Duration.ofMinutes(25));
        signal(firing("orders", 110)); // joins: the incident changed, and its TTL restarts
        assertThat(watermark(110)).hasSize(1);
        wallClock(Duration.ofMinutes(54));
        assertThat(drain()).isEmpty();
        heartbeat("orders");
        wallClock(Duration.ofMinutes(83));
        assertThat(drain()).isEmpty();
        wallClock(Duration.ofMinutes(84));
        assertThat(drain()).singleElement().satisfies(i -> assertThat(i.getStatus()).isEqualTo(IncidentStatus.RESOLVED));
    }

    @Test
    void shouldMarkAnIncidentFlappingWhileAMemberFlaps() throws Exception {
        Signal flapping = firing("db", 100);
        flapping.flapping = true;
        flapping.at = at(200);
        signal(firing("db", 100));
        assertThat(watermark(100)).singleElement().satisfies(i -> assertThat(i.getFlapping()).isFalse());
        signal(flapping);
        assertThat(watermark(200)).singleElement().satisfies(i -> {
            assertThat(i.getFlapping()).isTrue();
            assertThat(i.getSummary()).contains("Flapping");
        });
        // The same again changes nothing: no version.
        Signal again = firing("db", 100);
        again.flapping = true;
        again.at = at(210);
        signal(again);
        assertThat(watermark(210)).isEmpty();
    }
}
