package io.peregrine.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.kafka.junit.EmbeddedKafkaExtension;
import io.peregrine.registry.RegistryConfig;
import io.peregrine.registry.SchemaRegistryServer;
import io.peregrine.schema.Silence;
import io.peregrine.schema.registry.SchemaRegistryClient;
import io.peregrine.schema.serde.SerdeConfig;
import io.peregrine.schema.topic.TopicAdmin;
import io.peregrine.schema.topic.Topics;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

/** {@code peregrine silence add|list|expire} against the real embedded broker and registry. */
class SilenceCommandIT {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    static SchemaRegistryServer registry;
    static Topics topics;

    @BeforeAll
    static void start() {
        registry = SchemaRegistryServer.start(RegistryConfig.builder()
                .bootstrapServers(KAFKA.bootstrapServers()).host("127.0.0.1").port(0).build());
        topics = Topics.create(SchemaRegistryClient.create(Map.of("schema.registry.url", registry.url())),
                SerdeConfig.from(Map.of()), 2);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KAFKA.bootstrapServers()))) {
            TopicAdmin.ensure(admin, List.of(topics.silences()), (short) 1);
        }
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Peregrine.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        String[] all = new String[args.length + 4];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--bootstrap-servers";
        all[args.length + 1] = KAFKA.bootstrapServers();
        all[args.length + 2] = "--schema-registry-url";
        all[args.length + 3] = registry.url();
        int code = cl.execute(all);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void shouldAddListAndExpireSilencesInTheCompactedTopic() throws Exception {
        Run add = run("silence", "add", "app=k8s/shop/db", "severity!~info|ticket", "--duration", "2h",
                "--comment", "CHG-42 failover", "--created-by", "ops@example.com");
        assertThat(add.code()).as(add.err()).isZero();
        String id = add.out().trim();
        assertThat(id).matches("[0-9a-f-]{36}");
        Run pending = run("silence", "add", "app=~k8s/shop/.*", "--starts-at", "2099-01-01T00:00:00Z",
                "--ends-at", "2099-01-01T01:00:00Z", "--comment", "later");
        assertThat(pending.code()).as(pending.err()).isZero();
        String later = pending.out().trim();

        // A record that is not Avro, in the middle of the topic: reported, skipped, nothing lost.
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers", KAFKA.bootstrapServers()),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            p.send(new ProducerRecord<>(topics.silences().name(), "junk".getBytes(), "not avro".getBytes())).get();
        }

        Run list = run("silence", "list");
        assertThat(list.code()).as(list.err()).isZero();
        assertThat(list.err()).contains("skipped record");
        assertThat(list.out()).contains(id).contains("active").contains("app=k8s/shop/db,severity!~info|ticket")
                .contains("ops@example.com").contains("CHG-42 failover");
        assertThat(list.out()).contains(later).contains("pending");

        Run expire = run("silence", "expire", id, "no-such-id");
        assertThat(expire.code()).isEqualTo(1);
        assertThat(expire.out()).contains(id + " expired");
        assertThat(expire.err()).contains("no silence no-such-id");

        assertThat(run("silence", "list").out()).doesNotContain(id).contains(later);
        assertThat(run("silence", "list", "--expired").out()).contains(id).contains("expired");
        Run again = run("silence", "expire", id);
        assertThat(again.code()).isZero();
        assertThat(again.out()).contains("had already ended");

        Map<String, Silence> current = SilenceCommand.current(
                new ConnectionOptions().resolved(KAFKA.bootstrapServers(), registry.url()), topics.silences(),
                new PrintWriter(new StringWriter()));
        Silence ended = current.get(id);
        assertThat(ended.getEndsAt()).isBeforeOrEqualTo(Instant.now());
        assertThat(ended.getComment()).isEqualTo("CHG-42 failover");
        assertThat(ended.getMatchers()).hasSize(2);
    }
}
