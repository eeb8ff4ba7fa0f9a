package io.peregrine.agent.publish;

import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.metrics.AgentMetrics;
import io.peregrine.kafka.EmbeddedKafka;
import io.peregrine.registry.RegistryConfig;
import io.peregrine.registry.SchemaRegistryServer;
import io.peregrine.schema.ConnectionEvent;
import io.peregrine.schema.L7Event;
import io.peregrine.schema.SampleRecords;
import io.peregrine.schema.registry.SchemaRegistryClient;
import io.peregrine.schema.serde.SerdeConfig;
import io.peregrine.schema.topic.TopicAdmin;
import io.peregrine.schema.topic.Topics;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The publisher against a real broker that is down, comes up, goes down and comes back. */
class PublisherIT {

    @TempDir
    Path dir;

    @Test
    void shouldDeliverEveryRecordOnceAndInOrderAcrossBrokerOutages() throws Exception {
        int kafkaPort = freePort();
        int controllerPort = freePort();
        int registryPort = freePort();
        String bootstrap = "127.0.0.1:" + kafkaPort;
        String registryUrl = "http://127.0.0.1:" + registryPort;
        SchemaRegistryClient client = SchemaRegistryClient.create(Map.of("schema.registry.url", registryUrl,
                "max.retries", 0, "http.connect.timeout.ms", 1000));
        Topics topics = Topics.create(client, SerdeConfig.from(Map.of()), 2);
        AgentMetrics metrics = new AgentMetrics();
        Map<String, Object> producerConfig = new HashMap<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 1500,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 4000,
                ProducerConfig.LINGER_MS_CONFIG, 20,
                ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd",
                ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 500));
        Publisher.Settings settings = new Publisher.Settings(10_000, 500, Duration.ofMillis(50),
                Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofSeconds(10));
        Publisher publisher = new Publisher(() -> new KafkaProducer<>(producerConfig, new RepeatedKeySerializer(), new ByteArraySerializer()),
                client, topics, dir.resolve("spool"), 64L << 20, settings, metrics);
        EmbeddedKafka kafka = null;
        SchemaRegistryServer registry = null;
        try {
            // 1. Kafka (and so the registry) is down: records are spooled, not lost.
            publishRange(publisher, topics, 0, 500);
            awaitCondition(() -> metrics.count("peregrine_agent_spooled_total", "topic", "peregrine.raw.l7") >= 500,
                    "records spooled while Kafka is down");
            assertThat(publisher.isOnline()).isFalse();

            // 2. Kafka comes up: everything arrives.
            kafka = startKafka(kafkaPort, controllerPort);
            registry = SchemaRegistryServer.start(RegistryConfig.builder().bootstrapServers(bootstrap)
                    .host("127.0.0.1").port(registryPort).build());
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
                TopicAdmin.ensure(admin, topics.all(), (short) 1);
            }
            // Interleaved with another topic's records: each topic's acknowledged records are counted.
            for (long from = 500; from < 600; from += 10) {
                publishRange(publisher, topics, from, from + 10);
                ConnectionEvent c = SampleRecords.connectionEvent();
                publisher.publish(topics.rawConnections(), "node-a", c, c.getTimestamp().toEpochMilli());
            }
            awaitCondition(publisher::isOnline, "spool drained");
            assertThat(seqs(bootstrap, topics, 600)).containsExactlyElementsOf(range(0, 600));
            awaitCondition(() -> metrics.count("peregrine_agent_sent_total", "topic", "peregrine.raw.l7") == 600,
                    "600 L7 records counted as sent");
            assertThat(metrics.count("peregrine_agent_sent_total", "topic", topics.rawConnections().name()))
                    .isEqualTo(10);

            // 3. Kafka goes away mid-run and comes back: nothing lost, nothing twice.
            kafka.close();
            publishRange(publisher, topics, 600, 900);
            awaitCondition(() -> !publisher.isOnline(), "publisher noticed the outage");
            kafka = startKafka(kafkaPort, controllerPort);
            publishRange(publisher, topics, 900, 1000);
            awaitCondition(publisher::isOnline, "spool drained after the second outage");
            assertThat(seqs(bootstrap, topics, 1000)).containsExactlyElementsOf(range(0, 1000));
            assertThat(metrics.count("peregrine_agent_dropped_total", "reason", "queue_full")).isZero();
            awaitCondition(() -> metrics.count("peregrine_agent_sent_total", "topic", "peregrine.raw.l7") == 1000,
                    "1000 L7 records counted as sent");
        } finally {
            publisher.close();
            if (registry != null) {
                registry.close();
            }
            if (kafka != null) {
                kafka.close();
            }
        }
    }

    /**
     * Two ways a client can hold the publisher: a producer that takes records and never completes
     * them, and one whose every send() blocks for max.block.ms and then fails through the callback
     * (what KafkaProducer does when the topic's metadata is gone while the broker is down; 300
     * records used to take 300 x max.block.ms). Neither may park the publisher: the batch is
     * spooled, the producer replaced, and every record still arrives once and in order.
     */
    @Test
    void shouldNeverBeParkedByAStuckProducer() throws Exception {
        int kafkaPort = freePort();
        int registryPort = freePort();
        String bootstrap = "127.0.0.1:" + kafkaPort;
        SchemaRegistryClient client = SchemaRegistryClient.create(Map.of("schema.registry.url",
                "http://127.0.0.1:" + registryPort, "max.retries", 0));
        Topics topics = Topics.create(client, SerdeConfig.from(Map.of()), 2);
        AgentMetrics metrics = new AgentMetrics();
        try (EmbeddedKafka kafka = startKafka(kafkaPort, freePort());
             SchemaRegistryServer registry = SchemaRegistryServer.start(RegistryConfig.builder()
                     .bootstrapServers(bootstrap).host("127.0.0.1").port(registryPort).build())) {
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
                TopicAdmin.ensure(admin, topics.all(), (short) 1);
            }
            // Takes records and never completes them; flush() blocks as the real client's did.
            MockProducer<String, byte[]> stuck = new MockProducer<>(false, null, new StringSerializer(),
                    new ByteArraySerializer()) {
                @Override
                public synchronized void flush() {
                    java.util.concurrent.locks.LockSupport.park();
                }
            };
            java.util.concurrent.atomic.AtomicInteger blockedSends = new java.util.concurrent.atomic.AtomicInteger();
            MockProducer<String, byte[]> noMetadata = new MockProducer<>(true, null, new StringSerializer(),
                    new ByteArraySerializer()) {
                @Override
                public synchronized java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata> send(
                        org.apache.kafka.clients.producer.ProducerRecord<String, byte[]> record,
                        org.apache.kafka.clients.producer.Callback callback) {
                    blockedSends.incrementAndGet();
                    try {
                        Thread.sleep(1_000);
                    } catch (InterruptedException e) {
                        throw new org.apache.kafka.common.errors.InterruptException(e);
                    }
                    var e = new org.apache.kafka.common.errors.TimeoutException("Topic not present in metadata after 1000 ms.");
                    callback.onCompletion(null, e);
                    var failed = new java.util.concurrent.CompletableFuture<org.apache.kafka.clients.producer.RecordMetadata>();
                    failed.completeExceptionally(e);
                    return failed;
                }
            };
            java.util.concurrent.atomic.AtomicInteger made = new java.util.concurrent.atomic.AtomicInteger();
            Publisher publisher = new Publisher(() -> switch (made.getAndIncrement()) {
                        case 0 -> noMetadata;
                        case 1 -> stuck;
                        default -> new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                                new StringSerializer(), new ByteArraySerializer());
                    },
                    client, topics, dir.resolve("spool"), 64L << 20,
                    new Publisher.Settings(10_000, 500, Duration.ofMillis(50), Duration.ofSeconds(1),
                            Duration.ofSeconds(30), Duration.ofSeconds(2)), metrics);
            try {
                publishRange(publisher, topics, 0, 300);
                awaitCondition(() -> stuck.history().size() >= 1, "the stuck producer took records");
                awaitCondition(() -> metrics.count("peregrine_agent_producer_errors_total") > 0,
                        "the unacknowledged batch counted as failed");
                publishRange(publisher, topics, 300, 400);
                awaitCondition(publisher::isOnline, "spool drained through a fresh producer");
                assertThat(seqs(bootstrap, topics, 400)).containsExactlyElementsOf(range(0, 400));
                assertThat(stuck.closed()).isTrue();
                assertThat(noMetadata.closed()).isTrue();
                assertThat(blockedSends.get()).as("sends tried on the producer without metadata").isEqualTo(1);
            } finally {
                publisher.close();
            }
        }
    }

    private EmbeddedKafka startKafka(int port, int controllerPort) {
        return EmbeddedKafka.builder().dataDir(dir.resolve("kafka")).port(port).controllerPort(controllerPort).start();
    }

    private static void publishRange(Publisher publisher, Topics topics, long from, long to) {
        L7Event sample = SampleRecords.l7Event();
        for (long seq = from; seq < to; seq++) {
            L7Event e = L7Event.newBuilder(sample).setSeq(seq).build();
            publisher.publish(topics.rawL7(), "node-a", e, sample.getTimestamp().toEpochMilli() + seq);
        }
    }

    private static List<Long> range(long from, long to) {
        return LongStream.range(from, to).boxed().toList();
    }

    private static List<Long> seqs(String bootstrap, Topics topics, int expected) {
        List<Long> out = new ArrayList<>();
        try (KafkaConsumer<String, L7Event> consumer = new KafkaConsumer<>(
                Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                new StringDeserializer(), topics.rawL7().valueSerde().deserializer())) {
            List<TopicPartition> tps = consumer.partitionsFor(topics.rawL7().name()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (out.size() < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, L7Event> r : consumer.poll(Duration.ofMillis(200))) {
                    out.add(r.value().getSeq());
                }
            }
            // Anything beyond the expected count would be a duplicate: give it a moment to show up.
            long extra = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            while (System.nanoTime() < extra) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> out.add(r.value().getSeq()));
            }
        }
        return out;
    }

    private static void awaitCondition(java.util.function.BooleanSupplier condition, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what + "; the publisher was at:\n"
                        + publisherStack());
            }
            Thread.sleep(50);
        }
    }

    private static String publisherStack() {
        StringBuilder b = new StringBuilder();
        Thread.getAllStackTraces().forEach((t, stack) -> {
            if (t.getName().equals("agent-publisher")) {
                for (StackTraceElement e : stack) {
                    b.append("    at ").append(e).append('\n');
                }
            }
        });
        return b.toString();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }
}
