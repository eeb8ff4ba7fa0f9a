package io.peregrine.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.kafka.junit.EmbeddedKafkaExtension;
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
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

/**
 * {@code peregrine sql} over real topics: SLI windows written by the serde to the embedded broker,
 * queried through our registry on an embedded MiniCluster, printed as a table; the query returns
 * because reads are bounded. Then the same through the prompt, statements read from input.
 */
class SqlCommandIT {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    static SchemaRegistryServer registry;

    @BeforeAll
    static void start() {
        registry = SchemaRegistryServer.start(RegistryConfig.builder()
                .bootstrapServers(KAFKA.bootstrapServers()).host("127.0.0.1").port(0).build());
        Topics topics = Topics.create(SchemaRegistryClient.create(Map.of("schema.registry.url", registry.url())),
                SerdeConfig.from(Map.of()), 2);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KAFKA.bootstrapServers()))) {
            TopicAdmin.ensure(admin, topics.all(), (short) 1);
        }
        try (KafkaProducer<String, ServiceSliWindow> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", KAFKA.bootstrapServers()), new StringSerializer(),
                topics.sli().valueSerde().serializer())) {
            // checkout: 3 windows, p99 80/120/100 ms, 2 errors in 300 requests; postgres: 1 window, p99 5 ms.
            producer.send(record(topics, window(SampleRecords.checkoutApp(), 0, 100, 0, 80)));
            producer.send(record(topics, window(SampleRecords.checkoutApp(), 1, 100, 2, 120)));
            producer.send(record(topics, window(SampleRecords.checkoutApp(), 2, 100, 0, 100)));
            producer.send(record(topics, window(SampleRecords.postgresApp(), 0, 50, 0, 5)));
            producer.flush();
        }
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    private static ProducerRecord<String, ServiceSliWindow> record(Topics topics, ServiceSliWindow w) {
        return new ProducerRecord<>(topics.sli().name(), w.getApp().getId(), w);
    }

    private static ServiceSliWindow window(AppId app, int index, long requests, long errors, long p99Ms) {
        ServiceSliWindow w = SampleRecords.serviceSliWindow();
        w.setApp(app);
        w.setWindowStart(SampleRecords.T0.plus(Duration.ofSeconds(10L * index)));
        w.setWindowEnd(SampleRecords.T0.plus(Duration.ofSeconds(10L * index + 10)));
        w.setRequests(requests);
        w.setErrors(errors);
        w.setTotal(requests);
        w.setAvailabilityGood(requests - errors);
        w.setLatencyGood(requests - errors);
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
        all[1] = KAFKA.bootstrapServers();
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
        assertThat(run.out()).contains("| app ", "| worst_p99_ms |", "2 rows");
        String[] lines = run.out().split("\n");
        assertThat(lines[3]).contains(SampleRecords.checkoutApp().getId()).contains("| 120 ").contains("| 2 ");
        assertThat(lines[4]).contains(SampleRecords.postgresApp().getId()).contains("| 5 ").contains("| 0 ");
    }

    @Test
    void shouldRunStatementsFromTheInputUntilQuitAndReportErrorsWithoutStopping() {
        Run run = sql("SHOW TABLES;\nSELECT COUNT(*) AS n\n  FROM sli;\nSELECT nope FROM sli;\n"
                + "SELECT 'after the error' AS s;\nquit;\nSELECT 'never run';\n");
        assertThat(run.out()).contains("| sli ", "| raw_l7 ", "| dlq ")
                .contains("| 4 |")
                .contains("| after the error |")
                .doesNotContain("never run");
        assertThat(run.err()).contains("error: ").contains("nope");
        assertThat(run.exit()).isEqualTo(1);
    }
}
