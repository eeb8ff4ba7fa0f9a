package io.peregrine.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.kafka.EmbeddedKafka;
import io.peregrine.registry.RegistryConfig;
import io.peregrine.registry.SchemaRegistryServer;
import io.peregrine.schema.AppId;
import io.peregrine.schema.SampleRecords;
import io.peregrine.schema.ServiceSliWindow;
import io.peregrine.schema.registry.SchemaRegistryClient;
import io.peregrine.schema.serde.SerdeConfig;
import io.peregrine.schema.topic.TopicAdmin;
import io.peregrine.schema.topic.Topics;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code peregrine sql} over real topics: SLI windows written by the serde to the embedded broker,
 * queried through our registry on an embedded MiniCluster, printed as a table; the query returns
 * because reads are bounded. Then the same through the prompt, statements read from input.
 */
class SqlCommandIT {

    /**
     * A broker of its own, not the JVM-wide shared one: these tests write to the catalog's topics
     * (the tables are the shipped DDL, topic names and all), and other ITs read those topics whole.
     */
    @TempDir
    static Path kafkaDir;
    static EmbeddedKafka kafka;

    static final AppId BATCH = AppId.newBuilder(SampleRecords.checkoutApp()).setId("systemd/nightly-batch")
            .setName("nightly-batch").build();

    static SchemaRegistryServer registry;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.builder().dataDir(kafkaDir).port(0).controllerPort(0).start();
        registry = SchemaRegistryServer.start(RegistryConfig.builder()
                .bootstrapServers(kafka.bootstrapServers()).host("127.0.0.1").port(0).build());
        Topics topics = Topics.create(SchemaRegistryClient.create(Map.of("schema.registry.url", registry.url())),
                SerdeConfig.from(Map.of()), 2);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            TopicAdmin.ensure(admin, topics.all(), (short) 1);
        }
        try (KafkaProducer<String, ServiceSliWindow> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", kafka.bootstrapServers()), new StringSerializer(),
                topics.sli().valueSerde().serializer())) {
            // In the last hour: checkout 3 windows (p99 80/120/100 ms, 2 errors and 3 slow requests
            // in 300), postgres 1 window (p99 5 ms). Two hours ago: batch, 1 window, p99 900 ms.
            Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            producer.send(record(topics, window(SampleRecords.checkoutApp(), now.minusSeconds(1800), 100, 0, 0, 80)));
            producer.send(record(topics, window(SampleRecords.checkoutApp(), now.minusSeconds(1790), 100, 2, 3, 120)));
            producer.send(record(topics, window(SampleRecords.checkoutApp(), now.minusSeconds(1780), 100, 0, 0, 100)));
            producer.send(record(topics, window(SampleRecords.postgresApp(), now.minusSeconds(600), 50, 0, 0, 5)));
            producer.send(record(topics, window(BATCH, now.minusSeconds(7200), 10, 0, 0, 900)));
            producer.flush();
        }
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    private static ProducerRecord<String, ServiceSliWindow> record(Topics topics, ServiceSliWindow w) {
        return new ProducerRecord<>(topics.sli().name(), w.getApp().getId(), w);
    }

    private static ServiceSliWindow window(AppId app, Instant start, long requests, long errors, long slow,
                                           long p99Ms) {
        ServiceSliWindow w = SampleRecords.serviceSliWindow();
        w.setApp(app);
        w.setWindowStart(start);
        w.setWindowEnd(start.plusSeconds(10));
        w.setRequests(requests);
        w.setErrors(errors);
        w.setTotal(requests);
        w.setAvailabilityGood(requests - errors);
        w.setLatencyGood(requests - errors - slow);
        w.setP99Ns(p99Ms * 1_000_000L);
        return w;
    }

    private record Run(int exit, String out, String err) {
    }

    private static Run sql(String stdin, String... args) {
        SqlCommand command = new SqlCommand();
        if (stdin != null) {
            command.in = new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8));
        }
        CommandLine cl = new CommandLine(command);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        String[] all = new String[args.length + 4];
        all[0] = "--bootstrap-servers";
        all[1] = kafka.bootstrapServers();
        all[2] = "--schema-registry-url";
        all[3] = registry.url();
        System.arraycopy(args, 0, all, 4, args.length);
        int exit = cl.execute(all);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void shouldPrintTheSlowestServicesAsATableAndExit() {
        Run run = sql(null, "SELECT app.id AS app, MAX(p99_ns) / 1000000 AS worst_p99_ms, SUM(errors) AS errors "
                + "FROM sli GROUP BY app.id ORDER BY worst_p99_ms DESC");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("| app ", "| worst_p99_ms |", "3 rows");
        String[] lines = run.out().split("\n");
        assertThat(lines[3]).contains(BATCH.getId()).contains("| 900 ").contains("| 0 ");
        assertThat(lines[4]).contains(SampleRecords.checkoutApp().getId()).contains("| 120 ").contains("| 2 ");
        assertThat(lines[5]).contains(SampleRecords.postgresApp().getId()).contains("| 5 ").contains("| 0 ");
    }

    /** The README's examples, as written there. */
    private static List<String> readmeQueries() throws IOException {
        String readme = Files.readString(Path.of("../flink-jobs/README.md"));
        Matcher m = Pattern.compile("```sql\n(.*?)```", Pattern.DOTALL).matcher(readme);
        List<String> out = new ArrayList<>();
        while (m.find()) {
            out.add(m.group(1));
        }
        assertThat(out).hasSize(2);
        return out;
    }

    @Test
    void shouldAnswerTheReadmesSlowestServicesInTheLastHour() throws IOException {
        Run run = sql(null, readmeQueries().get(0));
        assertThat(run.exit()).as(run.err()).isZero();
        String[] lines = run.out().split("\n");
        assertThat(lines[1]).contains("| app ", "| worst_p99_ms ", "| mean_ms ", "| requests ");
        // The sample sketch's mean, whatever it is, is the same in every window.
        assertThat(lines[3]).contains(SampleRecords.checkoutApp().getId()).contains("| 120 ").contains("| 300 ");
        assertThat(lines[4]).contains(SampleRecords.postgresApp().getId()).contains("| 5 ").contains("| 50 ");
        assertThat(run.out()).doesNotContain(BATCH.getId()).contains("2 rows");
    }

    @Test
    void shouldAnswerTheReadmesErrorBudgetLeftPerApp() throws IOException {
        Run run = sql(null, readmeQueries().get(1));
        assertThat(run.exit()).as(run.err()).isZero();
        String[] lines = run.out().split("\n");
        assertThat(lines[1]).contains("| availability_budget_left_pct ", "| latency_budget_left_pct ");
        // checkout: 2 failed of 300 against a budget of 0.3 -> 1 - 2/0.3 = -566.7 %; 5 not good against 3 -> -66.7 %.
        assertThat(lines[3]).contains(SampleRecords.checkoutApp().getId()).contains("| 300 ").contains("| 2 ")
                .contains("| -566.7 ").contains("| -66.7 ");
        // postgres and the batch tie at 100 %, in either order.
        assertThat(List.of(lines[4], lines[5])).allSatisfy(l -> assertThat(l).contains("| 100.0 "))
                .anySatisfy(l -> assertThat(l).contains(SampleRecords.postgresApp().getId()))
                .anySatisfy(l -> assertThat(l).contains(BATCH.getId()));
        assertThat(run.out()).contains("3 rows");
    }

    @Test
    void shouldRunStatementsFromTheInputUntilQuitAndReportErrorsWithoutStopping() {
        Run run = sql("SHOW TABLES;\nSELECT COUNT(*) AS n\n  FROM sli;\nSELECT nope FROM sli;\n"
                + "SELECT 'after the error' AS s;\nquit;\nSELECT 'never run';\n");
        assertThat(run.out()).contains("| sli ", "| raw_l7 ", "| dlq ")
                .contains("| 5 |")
                .contains("| after the error |")
                .doesNotContain("never run");
        assertThat(run.err()).contains("error: ").contains("nope");
        assertThat(run.exit()).isEqualTo(1);
    }
}
