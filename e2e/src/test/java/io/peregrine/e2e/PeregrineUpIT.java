package io.peregrine.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.schema.SampleRecords;
import io.peregrine.schema.registry.SchemaRegistryClient;
import io.peregrine.schema.serde.SerdeConfig;
import io.peregrine.schema.topic.Topic;
import io.peregrine.schema.topic.Topics;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged {@code peregrine} jar, as a user runs it: {@code up} reaches {@code peregrine ready},
 * a record of every topic goes through the real broker and registry, {@code tail} prints it, and
 * SIGTERM stops everything with no process left.
 */
class PeregrineUpIT {

    private static final Path JAR = Path.of(System.getProperty("peregrine.jar", "../cli/target/peregrine.jar"));

    @TempDir
    Path home;

    @Test
    void shouldStartCarryEveryTopicAndStopCleanly() throws Exception {
        assertThat(JAR).exists();
        int kafkaPort = freePort();
        int controllerPort = freePort();
        int registryPort = freePort();
        int agentMetricsPort = freePort();
        int apiPort = freePort();
        int flinkRestPort = freePort();
        String bootstrap = "127.0.0.1:" + kafkaPort;
        String registryUrl = "http://127.0.0.1:" + registryPort;

        Process up = peregrine("up", "--home", home.toString(), "--kafka-port", "" + kafkaPort,
                "--kafka-controller-port", "" + controllerPort, "--registry-port", "" + registryPort,
                "--agent-metrics-port", "" + agentMetricsPort, "--api-port", "" + apiPort, "--flink-rest-port", "" + flinkRestPort, "--partitions", "2").start();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        pump(up, lines);
        List<String> seen = new ArrayList<>();
        try {
            String line;
            while ((line = lines.poll(180, TimeUnit.SECONDS)) != null && !line.equals("peregrine ready")) {
                seen.add(line);
            }
            assertThat(line).as("up printed 'peregrine ready'; before it: " + seen).isEqualTo("peregrine ready");
            assertThat(seen).anyMatch(l -> l.startsWith("kafka ") && l.contains(bootstrap));
            assertThat(seen).anyMatch(l -> l.startsWith("registry ") && l.contains(registryUrl));
            assertThat(seen).anyMatch(l -> l.startsWith("topics ") && l.contains("15 ready"));
            assertThat(seen).anyMatch(l -> l.startsWith("agent ") && l.contains(":" + agentMetricsPort + "/metrics"));
            assertThat(seen).anyMatch(l -> l.startsWith("streams ") && l.contains(":" + apiPort + "/api/v1"));
            var http = java.net.http.HttpClient.newHttpClient();
            var apps = http.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + apiPort + "/api/v1/apps")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(apps.statusCode()).as("query API answers: " + apps.body()).isEqualTo(200);
            assertThat(seen).anyMatch(l -> l.startsWith("flink ") && l.contains(":" + flinkRestPort));
            var jobs = http.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + flinkRestPort + "/jobs/overview")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(jobs.body()).as("the SLO job runs on the MiniCluster").contains("peregrine-slo");
            List<ProcessHandle> children = up.descendants().toList();
            assertThat(children).as("the broker and the agent run in their own processes").hasSizeGreaterThanOrEqualTo(2);

            SchemaRegistryClient client = SchemaRegistryClient.create(Map.of("schema.registry.url", registryUrl));
            Topics topics = Topics.create(client, SerdeConfig.from(Map.of()), 2);
            Map<Class<?>, SpecificRecord> samples = new HashMap<>();
            SampleRecords.all().forEach(r -> samples.put(r.getClass(), r));
            for (Topic<?, ?> topic : topics.all()) {
                SpecificRecord sample = samples.get(topic.valueType());
                assertThat(readBack(bootstrap, topic, sample)).as(topic.name()).isEqualTo(sample);
            }

            // The agent watches this machine: its node sample arrives through the registry.
            String machineId = Files.readString(Path.of("/etc/machine-id")).trim();
            Process nodeTail = peregrine("tail", topics.rawNodeMetrics().name(), "--from-beginning", "--max", "2",
                    "--idle-timeout", "30", "--bootstrap-servers", bootstrap, "--schema-registry-url", registryUrl).start();
            String nodeJson = new String(nodeTail.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(nodeTail.waitFor(90, TimeUnit.SECONDS)).isTrue();
            assertThat(nodeJson).as("a node sample of this machine from the agent").contains(machineId);

            // tail, as a user runs it, decodes through the registry into one JSON object per line.
            Process tail = peregrine("tail", topics.rawL7().name(), "--from-beginning", "--max", "1",
                    "--idle-timeout", "60", "--bootstrap-servers", bootstrap, "--schema-registry-url", registryUrl).start();
            String json = new String(tail.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            assertThat(tail.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(tail.exitValue()).isZero();
            assertThat(json.lines().count()).isEqualTo(1);
            assertThat(json).startsWith("{").endsWith("}")
                    .contains("\"pid\":" + SampleRecords.l7Event().getPid());

            up.destroy(); // SIGTERM
            assertThat(up.waitFor(90, TimeUnit.SECONDS)).as("up stopped after SIGTERM").isTrue();
            for (ProcessHandle child : children) {
                assertThat(child.onExit().get(30, TimeUnit.SECONDS).isAlive())
                        .as("child process " + child.pid() + " left running").isFalse();
            }
        } finally {
            up.descendants().forEach(ProcessHandle::destroyForcibly);
            up.destroyForcibly();
        }
    }

    @SuppressWarnings("unchecked")
    private static <K, V> Object readBack(String bootstrap, Topic<K, V> topic, Object value) throws Exception {
        byte[] key = topic.keySerde().serializer().serialize(topic.name(),
                (K) (topic.keySerde().serializer() instanceof org.apache.kafka.common.serialization.ByteArraySerializer
                        ? (Object) new byte[] {7} : (Object) "node-1"));
        byte[] bytes = topic.valueSerde().serializer().serialize(topic.name(), (V) value);
        Map<String, Object> producerConfig = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true, ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd");
        org.apache.kafka.clients.producer.RecordMetadata meta;
        try (KafkaProducer<byte[], byte[]> producer =
                     new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer())) {
            meta = producer.send(new ProducerRecord<>(topic.name(), key, bytes)).get(30, TimeUnit.SECONDS);
        }
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topic.name(), meta.partition());
            consumer.assign(List.of(tp));
            consumer.seek(tp, meta.offset());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    return topic.valueSerde().deserializer().deserialize(topic.name(), r.value());
                }
            }
        }
        throw new AssertionError("nothing read back from " + topic.name());
    }

    private static ProcessBuilder peregrine(String... args) {
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElse("java"), "-Xmx512m", "-jar", JAR.toString()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
    }

    private static void pump(Process process, BlockingQueue<String> lines) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // The process ended.
            }
        }, "peregrine-stdout");
        t.setDaemon(true);
        t.start();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }
}
