package io.peregrine.streams.servicemap;

import static io.peregrine.streams.RawEvents.APP_NODE;
import static io.peregrine.streams.RawEvents.CHECKOUT;
import static io.peregrine.streams.RawEvents.DB_NODE;
import static io.peregrine.streams.RawEvents.FRONTEND;
import static io.peregrine.streams.RawEvents.POSTGRES;
import static io.peregrine.streams.RawEvents.REDIS;
import static io.peregrine.streams.RawEvents.T0;
import static io.peregrine.streams.RawEvents.instance;
import static io.peregrine.streams.RawEvents.listen;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.withinPercentage;

import io.peregrine.kafka.junit.EmbeddedKafkaExtension;
import io.peregrine.schema.AppId;
import io.peregrine.schema.AppKind;
import io.peregrine.schema.ConnectionDirection;
import io.peregrine.schema.ConnectionEventKind;
import io.peregrine.schema.Collector;
import io.peregrine.schema.ConnectionEvent;
import io.peregrine.schema.ListenEvent;
import io.peregrine.schema.Protocol;
import io.peregrine.schema.ServiceEdge;
import io.peregrine.schema.ServiceEdgeWindow;
import io.peregrine.schema.ServiceSliWindow;
import io.peregrine.schema.Side;
import io.peregrine.schema.topic.Topics;
import io.peregrine.streams.PipelineCounters;
import io.peregrine.streams.RawEvents;
import io.peregrine.streams.TestRegistry;
import io.peregrine.streams.TopologyDriver;
import io.peregrine.streams.TopologySettings;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The service map and SLIs through the production topology under TopologyTestDriver. */
class ServiceMapTopologyTest {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    static final String FRONTEND_IP = "10.42.1.77";
    static final String CHECKOUT_IP = "10.42.3.18";
    static final String DB_IP = "10.0.2.31";
    static final long MS = 1_000_000L;

    static Topics topics;
    TopologyDriver t;
    RawEvents events;

    @BeforeAll
    static void registry() {
        topics = TestRegistry.topics(KAFKA);
    }

    @BeforeEach
    void start() {
        t = new TopologyDriver(topics, TestRegistry.client(KAFKA), TopologySettings.defaults());
        events = new RawEvents();
        // checkout's pod listens on its own address; postgres on all addresses of db-1.
        t.pipe(listen(APP_NODE, CHECKOUT_IP, 8080, instance(CHECKOUT), T0.minus(Duration.ofHours(1))));
        t.pipe(listen(DB_NODE, "0.0.0.0", 5432, instance(POSTGRES), T0.minus(Duration.ofHours(1))));
        t.pipe(RawEvents.nodeSample(DB_NODE, T0.minusSeconds(30), "eu-west-1b", List.of(DB_IP)));
        t.pipe(RawEvents.nodeSample(APP_NODE, T0.minusSeconds(30), "eu-west-1a", List.of("10.0.1.17")));
    }

    @AfterEach
    void stop() {
        t.close();
    }

    private void frontendCalls(Instant ts, long latencyNs, boolean error) {
        t.pipe(events.clientCall(APP_NODE, FRONTEND, FRONTEND_IP, CHECKOUT_IP, 8080, Protocol.HTTP, ts, latencyNs, error));
    }

    private static Map<String, ServiceEdgeWindow> byKey(List<TestRecord<String, ServiceEdgeWindow>> records) {
        return records.stream().collect(Collectors.toMap(r -> r.key() + "@" + r.value().getWindowStart(),
                TestRecord::value));
    }

    @Test
    void shouldEmitEdgeAndSliOnceWhenTheWindowClosesAfterGrace() {
        frontendCalls(T0.plusSeconds(1), 20 * MS, false);
        frontendCalls(T0.plusSeconds(2), 40 * MS, true);
        frontendCalls(T0.plusMillis(9_999), 700 * MS, false);
        frontendCalls(T0.plusSeconds(10), 5 * MS, false); // first instant of the next window

        t.advanceEventTime(events, T0.plusMillis(14_999));
        assertThat(t.serviceMapRecords()).isEmpty();
        assertThat(t.sliRecords()).isEmpty();

        t.advanceEventTime(events, T0.plusSeconds(15));
        List<TestRecord<String, ServiceEdgeWindow>> edges = t.serviceMapRecords();
        assertThat(edges).hasSize(1);
        assertThat(edges.get(0).key()).isEqualTo("k8s/shop/frontend->k8s/shop/checkout");
        ServiceEdgeWindow w = edges.get(0).value();
        assertThat(w.getWindowStart()).isEqualTo(T0);
        assertThat(w.getWindowEnd()).isEqualTo(T0.plusSeconds(10));
        assertThat(w.getClient()).isEqualTo(FRONTEND);
        assertThat(w.getServer()).isEqualTo(CHECKOUT);
        assertThat(w.getProtocol()).isEqualTo(Protocol.HTTP);
        assertThat(w.getSource()).isEqualTo(Side.CLIENT);
        assertThat(w.getRequests()).isEqualTo(3);
        assertThat(w.getErrors()).isEqualTo(1);
        assertThat(w.getP50Ns()).isCloseTo(40 * MS, withinPercentage(1));
        // sketches-java's rank q x (n - 1): with three values p99 is the second one.
        assertThat(w.getP99Ns()).isCloseTo(40 * MS, withinPercentage(1));
        assertThat(w.getLatency().getMaxNs()).isEqualTo(700 * MS);
        assertThat(w.getLatency().getCount()).isEqualTo(3);
        assertThat(w.getLatency().getSumNs()).isEqualTo(760 * MS);
        assertThat(w.getBytesSent()).isEqualTo(300);
        assertThat(w.getBytesReceived()).isEqualTo(3000);

        List<TopologyDriver.SliRecord> slis = t.sliRecords();
        assertThat(slis).hasSize(1);
        ServiceSliWindow sli = slis.get(0).value();
        assertThat(slis.get(0).key()).isEqualTo(CHECKOUT.getId());
        assertThat(sli.getSource()).isEqualTo(Side.CLIENT);
        assertThat(sli.getRequests()).isEqualTo(3);
        assertThat(sli.getTotal()).isEqualTo(3);
        assertThat(sli.getErrors()).isEqualTo(1);
        assertThat(sli.getAvailabilityGood()).isEqualTo(2);
        assertThat(sli.getLatencyGood()).as("20 ms good; 40 ms is an error; 700 ms is slow").isEqualTo(1);
        assertThat(sli.getLatencyThresholdMs()).isEqualTo(500);
        assertThat(sli.getP90Ns()).isCloseTo(40 * MS, withinPercentage(1));

        ServiceEdge edge = t.topology.readValuesToList().get(0);
        assertThat(edge.getFirstSeen()).isEqualTo(T0);
        assertThat(edge.getLastSeen()).isEqualTo(T0.plusSeconds(10));
        assertThat(edge.getLastWindowRequests()).isEqualTo(3);
        assertThat(edge.getProtocols()).containsExactly(Protocol.HTTP);

        t.advanceEventTime(events, T0.plusSeconds(60));
        List<TestRecord<String, ServiceEdgeWindow>> next = t.serviceMapRecords();
        assertThat(next).hasSize(1);
        assertThat(next.get(0).value().getWindowStart()).isEqualTo(T0.plusSeconds(10));
        assertThat(next.get(0).value().getRequests()).isEqualTo(1);
    }

    @Test
    void shouldCountOutOfOrderEventsWithinGraceAndDropLateOnes() {
        frontendCalls(T0.plusSeconds(5), 10 * MS, false);
        t.advanceEventTime(events, T0.plusSeconds(12));
        frontendCalls(T0.plusSeconds(3), 10 * MS, false); // out of order, window still open
        t.advanceEventTime(events, T0.plusSeconds(15));
        frontendCalls(T0.plusSeconds(4), 10 * MS, false); // its window has closed
        t.advanceEventTime(events, T0.plusSeconds(60));

        List<TestRecord<String, ServiceEdgeWindow>> edges = t.serviceMapRecords();
        assertThat(edges).hasSize(1);
        assertThat(edges.get(0).value().getRequests()).isEqualTo(2);
        assertThat(t.counters.get(PipelineCounters.LATE_EVENTS)).isEqualTo(1);
    }

    @Test
    void shouldCountDuplicateEventsOnce() {
        var first = events.clientCall(APP_NODE, FRONTEND, FRONTEND_IP, CHECKOUT_IP, 8080, Protocol.HTTP,
                T0.plusSeconds(1), 10 * MS, false);
        var second = events.clientCall(APP_NODE, FRONTEND, FRONTEND_IP, CHECKOUT_IP, 8080, Protocol.HTTP,
                T0.plusSeconds(2), 10 * MS, false);
        var third = events.clientCall(APP_NODE, FRONTEND, FRONTEND_IP, CHECKOUT_IP, 8080, Protocol.HTTP,
                T0.plusSeconds(3), 10 * MS, false);
        t.pipe(first);
        t.pipe(third);   // seq 2 before seq 1: a gap, filled next
        t.pipe(second);
        t.pipe(first);   // producer retry
        t.pipe(second);  // spool replay
        // The same seq from another agent run (the agent restarted) is a different event.
        var otherRun = new RawEvents("0d5e7a6c-1111-4222-8333-944445555666")
                .clientCall(APP_NODE, FRONTEND, FRONTEND_IP, CHECKOUT_IP, 8080, Protocol.HTTP, T0.plusSeconds(4),
                        10 * MS, false);
        assertThat(otherRun.getSeq()).isEqualTo(first.getSeq());
        t.pipe(otherRun);
        t.advanceEventTime(events, T0.plusSeconds(30));

        assertThat(t.serviceMapRecords()).singleElement()
                .satisfies(r -> assertThat(r.value().getRequests()).isEqualTo(4));
        assertThat(t.counters.get(PipelineCounters.DUPLICATES)).isEqualTo(2);
    }

    @Test
    void shouldNameUnownedDestinationsByDnsThenServerNameThenWellKnownPortThenAddress() {
        t.pipe(events.dnsAnswer(APP_NODE, CHECKOUT, "api.payments.example.com", List.of("203.0.113.45"),
                T0.plusSeconds(1)));
        Instant ts = T0.plusSeconds(2);
        t.pipe(events.clientCall(APP_NODE, CHECKOUT, CHECKOUT_IP, "203.0.113.45", 443, Protocol.HTTP, ts, MS, false));
        t.pipe(events.clientCall(APP_NODE, CHECKOUT, CHECKOUT_IP, "10.9.9.9", 5432, Protocol.POSTGRES, ts, MS, false));
        t.pipe(events.clientCall(APP_NODE, CHECKOUT, CHECKOUT_IP, "10.9.9.9", 7777, Protocol.HTTP, ts, MS, false));
        t.pipe(io.peregrine.schema.L7Event.newBuilder(events.clientCall(APP_NODE, CHECKOUT, CHECKOUT_IP, "198.51.100.7",
                443, Protocol.HTTP, ts, MS, false)).setServerName("hooks.slack.com").build());
        // Another node never resolved that name: there it is an address.
        t.pipe(events.clientCall(DB_NODE, POSTGRES, DB_IP, "203.0.113.45", 443, Protocol.HTTP, ts, MS, false));
        t.advanceEventTime(events, T0.plusSeconds(30));

        Map<String, AppId> servers = t.serviceMapRecords().stream()
                .filter(r -> !r.value().getServer().getId().startsWith("external/10.0.0.2")) // the DNS server
                .collect(Collectors.toMap(r -> r.value().getClient().getName() + "->" + r.value().getServer().getId(),
                        r -> r.value().getServer()));
        assertThat(servers).containsOnlyKeys(
                "checkout->external/api.payments.example.com:443",
                "checkout->external/10.9.9.9:5432",
                "checkout->external/10.9.9.9:7777",
                "checkout->external/hooks.slack.com:443",
                "postgresql->external/203.0.113.45:443");
        assertThat(servers.get("checkout->external/api.payments.example.com:443").getName())
                .isEqualTo("api.payments.example.com");
        assertThat(servers.get("checkout->external/10.9.9.9:5432").getName()).isEqualTo("postgres (10.9.9.9:5432)");
        assertThat(servers.get("checkout->external/10.9.9.9:7777").getName()).isEqualTo("10.9.9.9:7777");
        assertThat(servers.values()).allSatisfy(a -> assertThat(a.getKind()).isEqualTo(AppKind.EXTERNAL));
        // External services have client-view SLIs.
        assertThat(t.sliRecords()).extracting(r -> r.value().getApp().getId())
                .contains("external/api.payments.example.com:443");
    }

    @Test
    void shouldResolveLoopbackPerNodeAndWildcardListenersThroughNodeAddresses() {
        AppId cache = RawEvents.process("redis-cache");
        t.pipe(listen(APP_NODE, "127.0.0.1", 6379, instance(REDIS), T0.minusSeconds(60)));
        t.pipe(listen(DB_NODE, "127.0.0.1", 6379, instance(cache), T0.minusSeconds(60)));
        Instant ts = T0.plusSeconds(1);
        t.pipe(events.clientCall(APP_NODE, CHECKOUT, "127.0.0.1", "127.0.0.1", 6379, Protocol.REDIS, ts, MS, false));
        t.pipe(events.clientCall(DB_NODE, POSTGRES, "127.0.0.1", "127.0.0.1", 6379, Protocol.REDIS, ts, MS, false));
        t.pipe(events.clientCall(APP_NODE, CHECKOUT, CHECKOUT_IP, DB_IP, 5432, Protocol.POSTGRES, ts, MS, false));
        // Through a ClusterIP: the NAT'd address resolves.
        t.pipe(io.peregrine.schema.L7Event.newBuilder(events.clientCall(APP_NODE, FRONTEND, FRONTEND_IP,
                "172.20.0.15", 80, Protocol.HTTP, ts, MS, false)).setActualServerIp(CHECKOUT_IP)
                .setActualServerPort(8080).build());
        t.advanceEventTime(events, T0.plusSeconds(30));

        assertThat(t.serviceMapRecords()).extracting(TestRecord::key).containsExactlyInAnyOrder(
                "k8s/shop/checkout->process/redis-server",
                "systemd/postgresql.service->process/redis-cache",
                "k8s/shop/checkout->systemd/postgresql.service",
                "k8s/shop/frontend->k8s/shop/checkout");
    }

    @Test
    void shouldFollowAListenerThatMovesToAnotherApplicationByEventTime() {
        AppId v2 = RawEvents.k8s("shop", "checkout-v2");
        frontendCalls(T0.plusSeconds(5), MS, false);
        ListenEvent moved = ListenEvent.newBuilder(listen(APP_NODE, CHECKOUT_IP, 8080, instance(v2),
                T0.plusSeconds(20))).build();
        t.pipe(moved);
        frontendCalls(T0.plusSeconds(22), MS, false);
        frontendCalls(T0.plusSeconds(18), MS, false); // out of order: before the move
        t.advanceEventTime(events, T0.plusSeconds(60));

        Map<String, ServiceEdgeWindow> edges = byKey(t.serviceMapRecords());
        assertThat(edges).containsOnlyKeys(
                "k8s/shop/frontend->k8s/shop/checkout@" + T0,
                "k8s/shop/frontend->k8s/shop/checkout@" + T0.plusSeconds(10),
                "k8s/shop/frontend->k8s/shop/checkout-v2@" + T0.plusSeconds(20));
    }

    @Test
    void shouldCountACallSeenByBothEndsOnceAndPreferServerSideSlis() {
        for (int i = 0; i < 2; i++) {
            Instant ts = T0.plusSeconds(1 + i);
            frontendCalls(ts, 10 * MS, false);
            t.pipe(events.serverCall(APP_NODE, CHECKOUT, FRONTEND_IP, CHECKOUT_IP, 8080, Protocol.HTTP, ts, 9 * MS,
                    i == 1));
        }
        // A client without an agent, seen only by checkout.
        t.pipe(events.serverCall(APP_NODE, CHECKOUT, "192.168.5.5", CHECKOUT_IP, 8080, Protocol.HTTP,
                T0.plusSeconds(3), 600 * MS, false));
        t.advanceEventTime(events, T0.plusSeconds(30));

        Map<String, ServiceEdgeWindow> edges = t.serviceMapRecords().stream()
                .collect(Collectors.toMap(TestRecord::key, TestRecord::value));
        assertThat(edges).containsOnlyKeys("k8s/shop/frontend->k8s/shop/checkout", "external/192.168.5.5->k8s/shop/checkout");
        ServiceEdgeWindow instrumented = edges.get("k8s/shop/frontend->k8s/shop/checkout");
        assertThat(instrumented.getSource()).isEqualTo(Side.CLIENT);
        assertThat(instrumented.getRequests()).isEqualTo(2);
        assertThat(instrumented.getErrors()).as("the client saw no error").isZero();
        ServiceEdgeWindow uninstrumented = edges.get("external/192.168.5.5->k8s/shop/checkout");
        assertThat(uninstrumented.getSource()).isEqualTo(Side.SERVER);
        assertThat(uninstrumented.getRequests()).isEqualTo(1);
        assertThat(uninstrumented.getClient().getKind()).isEqualTo(AppKind.EXTERNAL);

        ServiceSliWindow sli = t.sliRecords().stream().filter(r -> r.key().equals(CHECKOUT.getId()))
                .findFirst().orElseThrow().value();
        assertThat(sli.getSource()).isEqualTo(Side.SERVER);
        assertThat(sli.getRequests()).isEqualTo(3);
        assertThat(sli.getErrors()).isEqualTo(1);
        assertThat(sli.getLatencyGood()).isEqualTo(1);
    }

    @Test
    void shouldCountFailedConnectsAsFailedRequestsInTheClientViewSli() {
        Instant ts = T0.plusSeconds(1);
        t.pipe(events.connection(APP_NODE, CHECKOUT, ConnectionEventKind.FAILED_CONNECT, ConnectionDirection.OUTBOUND,
                CHECKOUT_IP, "203.0.113.9", 443, ts));
        t.pipe(events.clientCall(APP_NODE, CHECKOUT, CHECKOUT_IP, "203.0.113.9", 443, Protocol.HTTP, ts, MS, false));
        t.advanceEventTime(events, T0.plusSeconds(30));

        ServiceEdgeWindow edge = t.serviceMapRecords().get(0).value();
        assertThat(edge.getFailedConnects()).isEqualTo(1);
        assertThat(edge.getRequests()).isEqualTo(1);
        ServiceSliWindow sli = t.sliRecords().get(0).value();
        assertThat(sli.getApp().getId()).isEqualTo("external/203.0.113.9:443");
        assertThat(sli.getSource()).isEqualTo(Side.CLIENT);
        assertThat(sli.getRequests()).isEqualTo(2);
        assertThat(sli.getErrors()).isEqualTo(1);
    }

    @Test
    void shouldYieldEdgesFromProcfsOnlyConnectionsWithoutL7Figures() {
        Instant ts = T0.plusSeconds(1);
        ConnectionEvent found = ConnectionEvent.newBuilder(events.connection(APP_NODE, CHECKOUT,
                ConnectionEventKind.OPEN, ConnectionDirection.UNKNOWN, CHECKOUT_IP, DB_IP, 5432, ts))
                .setSource(Collector.PROCFS).build();
        t.pipe(found);
        t.pipe(events.stats(APP_NODE, CHECKOUT, ConnectionDirection.OUTBOUND, CHECKOUT_IP, DB_IP, 5432,
                T0.plusSeconds(5), 1_000, 5_000));
        t.advanceEventTime(events, T0.plusSeconds(30));

        List<TestRecord<String, ServiceEdgeWindow>> edges = t.serviceMapRecords();
        assertThat(edges).hasSize(1);
        ServiceEdgeWindow w = edges.get(0).value();
        assertThat(edges.get(0).key()).isEqualTo("k8s/shop/checkout->systemd/postgresql.service");
        assertThat(w.getProtocol()).isEqualTo(Protocol.TCP);
        assertThat(w.getRequests()).isZero();
        assertThat(w.getP50Ns()).isNull();
        assertThat(w.getConnectionsOpened()).as("found by a scan, not opened in the window").isZero();
        assertThat(w.getBytesSent()).isEqualTo(1_000);
        assertThat(w.getBytesReceived()).isEqualTo(5_000);
        assertThat(w.getRetransmits()).isEqualTo(2);
        assertThat(w.getRttAvgUs()).isEqualTo(500.0);
        assertThat(t.sliRecords()).as("no requests, no SLI").isEmpty();
    }

    @Test
    void shouldApplyPerApplicationLatencyThresholds() {
        t.close();
        t = new TopologyDriver(topics, TestRegistry.client(KAFKA), TopologySettings.defaults()
                .withLatencyThresholds(500, Map.of(CHECKOUT.getId(), 1_000L)));
        t.pipe(listen(APP_NODE, CHECKOUT_IP, 8080, instance(CHECKOUT), T0.minus(Duration.ofHours(1))));
        frontendCalls(T0.plusSeconds(1), 700 * MS, false);
        frontendCalls(T0.plusSeconds(2), 1_200 * MS, false);
        t.advanceEventTime(events, T0.plusSeconds(30));

        ServiceSliWindow sli = t.sliRecords().get(0).value();
        assertThat(sli.getLatencyThresholdMs()).isEqualTo(1_000);
        assertThat(sli.getLatencyGood()).isEqualTo(1);
    }

    @Test
    void shouldRemoveIdleEdgesFromTheTopologyWithATombstone() {
        t.close();
        TopologySettings s = TopologySettings.defaults();
        t = new TopologyDriver(topics, TestRegistry.client(KAFKA), new TopologySettings(s.windowSize(), s.grace(), 500, Map.of(), s.queryRetention(),
                Duration.ofSeconds(30), s.maxFutureSkew(), s.idleSourceTimeout(), s.dnsNameTtl(), 1));
        t.pipe(listen(APP_NODE, CHECKOUT_IP, 8080, instance(CHECKOUT), T0.minus(Duration.ofHours(1))));
        frontendCalls(T0.plusSeconds(1), MS, false);
        t.advanceEventTime(events, T0.plusSeconds(20));
        assertThat(t.topology.readRecord().value()).isNotNull();
        t.advanceEventTime(events, T0.plusSeconds(120));
        List<TestRecord<String, ServiceEdge>> rest = t.topology.readRecordsToList();
        assertThat(rest).singleElement().satisfies(r -> {
            assertThat(r.key()).isEqualTo("k8s/shop/frontend->k8s/shop/checkout");
            assertThat(r.value()).isNull();
        });
    }

    @Test
    void shouldKeepAWindowOpenUntilEventTimePassesItsGraceEvenWhenSourcesAreIdle() {
        frontendCalls(T0.plusSeconds(1), MS, false);
        frontendCalls(T0.plusSeconds(16), MS, false);
        // Event time stops at T0+16: window T0 closes; T0+10 needs time to reach T0+25.
        assertThat(t.serviceMapRecords()).hasSize(1);
        t.advanceWallClock(Duration.ofSeconds(10));
        assertThat(t.serviceMapRecords()).as("idle: nothing more will come, but T0+10 stays open until its time")
                .isEmpty();
    }

    @Test
    void shouldNotDeclareASourceIdleBeforeTheIdleTimeoutHasPassedSinceItStarted() {
        // A new task's wall clock reads 0 until it first processes or punctuates. Taken for the time
        // of its last record, it made every new ingest task say it was idle at its first punctuation,
        // and the window tasks closed windows without it, dropping its partials as late (issue #6).
        var partials = t.driver.createOutputTopic(
                t.applicationId + "-" + ServiceMapTopology.PARTIALS_REPARTITION + "-repartition",
                new StringDeserializer(), Partial.serde().deserializer());
        Duration timeout = t.settings.idleSourceTimeout();
        t.advanceWallClock(timeout.dividedBy(2));
        assertThat(partials.readValuesToList()).as("no idle tick before the timeout").isEmpty();
        t.advanceWallClock(timeout.dividedBy(4));
        assertThat(partials.readValuesToList()).as("still within the timeout of the start").isEmpty();
        t.advanceWallClock(timeout);
        assertThat(partials.readValuesToList()).singleElement().isInstanceOfSatisfying(Partial.Tick.class,
                tick -> assertThat(tick.idle()).as("idle once the timeout has passed").isTrue());
    }
}
