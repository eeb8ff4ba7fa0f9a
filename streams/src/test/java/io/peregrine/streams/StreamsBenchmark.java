package io.peregrine.streams;

import io.peregrine.kafka.EmbeddedKafka;
import io.peregrine.registry.RegistryConfig;
import io.peregrine.registry.SchemaRegistryServer;
import io.peregrine.schema.AppId;
import io.peregrine.schema.AppInstance;
import io.peregrine.schema.L7Event;
import io.peregrine.schema.NodeId;
import io.peregrine.schema.Protocol;
import io.peregrine.schema.SampleRecords;
import io.peregrine.schema.ServiceEdgeWindow;
import io.peregrine.schema.Side;
import io.peregrine.schema.registry.SchemaRegistryClient;
import io.peregrine.schema.serde.SerdeConfig;
import io.peregrine.schema.topic.TopicAdmin;
import io.peregrine.schema.topic.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Macro benchmark of the Streams application on a real broker, exactly-once. Not a test: run it
 * by hand and read the figures it prints.
 *
 * <pre>
 * mvn -B -q -pl streams -Pbench test-compile exec:exec [-Dbench.args="--events 6000000 --threads 2"]
 * </pre>
 *
 * <ol>
 *   <li><b>Baseline</b>: a plain consumer reads the raw L7 backlog (bytes only, read_committed):
 *       the ceiling of broker + client on this machine.</li>
 *   <li><b>Throughput</b>: the backlog (written before the application starts, so the producer's
 *       CPU is not counted) goes through the full topology; sustained events/s from the first to
 *       the last event ingested.</li>
 *   <li><b>Latency</b>: live events at a fixed rate, timestamped now; for every service-map record,
 *       the time from its window's close (window end + grace, wall clock) until a read_committed
 *       consumer receives it.</li>
 * </ol>
 */
public final class StreamsBenchmark {

    private static final int NODES = 60;
    private static final int CLIENT_APPS = 30;
    private static final int SERVER_APPS = 20;
    private static final long MS = 1_000_000L;

    private StreamsBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        long events = 6_000_000;
        int threads = 2;
        int partitions = 6;
        int liveRate = 50_000;
        int liveSeconds = 45;
        long commitMs = 100;
        Map<String, String> extra = new java.util.LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--events" -> events = Long.parseLong(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--partitions" -> partitions = Integer.parseInt(args[++i]);
                case "--live-rate" -> liveRate = Integer.parseInt(args[++i]);
                case "--live-seconds" -> liveSeconds = Integer.parseInt(args[++i]);
                case "--commit-ms" -> commitMs = Long.parseLong(args[++i]);
                case "--streams" -> {
                    String[] kv = args[++i].split("=", 2);
                    extra.put(StreamsAppConfig.STREAMS_PREFIX + kv[0], kv[1]);
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Path dir = Files.createTempDirectory("peregrine-bench-");
        System.out.printf("StreamsBenchmark: %,d raw L7 events, %d partitions, %d stream threads, exactly_once_v2, "
                        + "commit %d ms, %d CPUs, JVM %s %s%n", events, partitions, threads, commitMs,
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), extra);
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(dir.resolve("kafka")).port(0).controllerPort(0)
                .start();
             SchemaRegistryServer registry = SchemaRegistryServer.start(RegistryConfig.builder()
                     .bootstrapServers(kafka.bootstrapServers()).host("127.0.0.1").port(0).topicReplicationFactor(1)
                     .build())) {
            SchemaRegistryClient client = SchemaRegistryClient.create(Map.of("schema.registry.url", registry.url()));
            Topics topics = Topics.create(client, SerdeConfig.from(Map.of()), partitions);
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                TopicAdmin.ensure(admin, topics.all(), (short) 1);
            }
            Workload load = new Workload(topics);
            load.listens(kafka.bootstrapServers());

            Instant base = Instant.now().minus(Duration.ofHours(2)).truncatedTo(java.time.temporal.ChronoUnit.MINUTES);
            long t0 = System.nanoTime();
            load.produce(kafka.bootstrapServers(), events, base, 200_000);
            System.out.printf("backlog written: %,d events in %.1f s (not measured)%n", events,
                    (System.nanoTime() - t0) / 1e9);

            double baseline = baseline(kafka.bootstrapServers(), topics.rawL7().name(), events);
            System.out.printf("baseline: plain consumer reads the raw backlog at %,.0f events/s%n", baseline);

            Map<String, String> settings = new java.util.HashMap<>(extra);
            settings.putAll(Map.of(
                    StreamsAppConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers(),
                    StreamsAppConfig.SCHEMA_REGISTRY_URL, registry.url(),
                    StreamsAppConfig.APPLICATION_ID, "bench-" + UUID.randomUUID(),
                    StreamsAppConfig.STATE_DIR, dir.resolve("state").toString(),
                    StreamsAppConfig.API_PORT, "0",
                    StreamsAppConfig.TOPIC_PARTITIONS, String.valueOf(partitions),
                    StreamsAppConfig.NUM_STREAM_THREADS, String.valueOf(threads),
                    StreamsAppConfig.IDLE_SOURCE_TIMEOUT_MS, "2000",
                    StreamsAppConfig.COMMIT_INTERVAL_MS, String.valueOf(commitMs)));
            StreamsApp app = StreamsApp.create(StreamsAppConfig.of(settings));
            try {
                app.start();
                long first = -1;
                long last;
                long cpuStart = 0;
                long streamCpuStart = 0;
                while (true) {
                    long n = app.counters().get(PipelineCounters.INGESTED);
                    if (n > 0 && first < 0) {
                        first = System.nanoTime();
                        cpuStart = processCpuNanos();
                        streamCpuStart = streamThreadCpuNanos();
                    }
                    if (n >= events) {
                        last = System.nanoTime();
                        break;
                    }
                    Thread.sleep(20);
                }
                double seconds = (last - first) / 1e9;
                double rate = events / seconds;
                System.out.printf("throughput: %,d events through the full topology in %.1f s = %,.0f events/s "
                        + "(%.0f%% of the baseline)%n", events, seconds, rate, 100 * rate / baseline);
                // CPU per event does not depend on how much of the machine other processes take.
                System.out.printf("cpu: stream threads %.2f us/event, whole JVM (broker, registry and app) %.2f us/event%n",
                        (streamThreadCpuNanos() - streamCpuStart) / 1e3 / events,
                        (processCpuNanos() - cpuStart) / 1e3 / events);

                latency(app, load, topics, kafka.bootstrapServers(), liveRate, liveSeconds);
                System.out.println("counters: " + app.counters().snapshot());
            } finally {
                app.close();
            }
        }
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** CPU time of the live Kafka Streams stream threads (those that run the topology). */
    private static long streamThreadCpuNanos() {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (java.lang.management.ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (t != null && t.getThreadName().contains("-StreamThread-") && !t.getThreadName().contains("producer")) {
                sum += Math.max(0, mx.getThreadCpuTime(t.getThreadId()));
            }
        }
        return sum;
    }

    private static double baseline(String bootstrap, String topic, long events) {
        Map<String, Object> c = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "bench-baseline-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long n = 0;
            long start = -1;
            while (n < events) {
                var records = consumer.poll(Duration.ofMillis(500));
                if (start < 0 && !records.isEmpty()) {
                    start = System.nanoTime();
                }
                n += records.count();
            }
            return events / ((System.nanoTime() - start) / 1e9);
        }
    }

    private static void latency(StreamsApp app, Workload load, Topics topics, String bootstrap, int rate, int seconds)
            throws Exception {
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        long graceMs = app.config().windowGrace().toMillis();
        AtomicBoolean running = new AtomicBoolean(true);
        Instant liveStart = Instant.now();
        Thread reader = new Thread(() -> {
            Map<String, Object> c = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                    ConsumerConfig.GROUP_ID_CONFIG, "bench-latency-" + UUID.randomUUID(),
                    ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest",
                    ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            try (KafkaConsumer<String, ServiceEdgeWindow> consumer = new KafkaConsumer<>(c, new StringDeserializer(),
                    topics.serviceMap().valueSerde().deserializer())) {
                consumer.subscribe(List.of(topics.serviceMap().name()));
                while (running.get()) {
                    for (ConsumerRecord<String, ServiceEdgeWindow> r : consumer.poll(Duration.ofMillis(50))) {
                        long closedAt = r.value().getWindowEnd().toEpochMilli() + graceMs;
                        if (r.value().getWindowStart().isAfter(liveStart)) {
                            latencies.add(System.currentTimeMillis() - closedAt);
                        }
                    }
                }
            }
        }, "bench-latency-reader");
        reader.start();
        load.produceLive(bootstrap, rate, seconds);
        Thread.sleep(graceMs + 10_000);
        running.set(false);
        reader.join();
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        if (sorted.isEmpty()) {
            System.out.println("latency: no live window closed");
            return;
        }
        System.out.printf("latency: live %,d events/s for %d s; window close -> service-map record (read_committed): "
                        + "p50 %d ms, p99 %d ms, max %d ms over %d records%n", rate, seconds,
                sorted.get(sorted.size() / 2), sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(sorted.size() * 0.99) - 1)),
                sorted.get(sorted.size() - 1), sorted.size());
    }

    /** Sixty nodes, thirty client apps calling twenty servers (about 150 edges), 20 % server-side events. */
    static final class Workload {
        private final Topics topics;
        private final NodeId[] nodes = new NodeId[NODES];
        private final String[] keys = new String[NODES];
        private final AppInstance[] clients = new AppInstance[CLIENT_APPS];
        private final AppInstance[] servers = new AppInstance[SERVER_APPS];
        private final String runId = UUID.randomUUID().toString();
        private final long[] seq = new long[NODES];

        Workload(Topics topics) {
            this.topics = topics;
            for (int i = 0; i < NODES; i++) {
                nodes[i] = RawEvents.node("node-" + i, String.format("%032x", i));
                keys[i] = RawEvents.key(nodes[i]);
            }
            for (int i = 0; i < CLIENT_APPS; i++) {
                clients[i] = RawEvents.instance(RawEvents.k8s("bench", "client-" + i));
            }
            for (int i = 0; i < SERVER_APPS; i++) {
                servers[i] = RawEvents.instance(RawEvents.k8s("bench", "server-" + i));
            }
        }

        static String serverIp(int s) {
            return "10.50.0." + (10 + s);
        }

        void listens(String bootstrap) {
            try (KafkaProducer<String, Object> p = producer(bootstrap)) {
                for (int s = 0; s < SERVER_APPS; s++) {
                    NodeId node = nodes[s % NODES];
                    var l = RawEvents.listen(node, serverIp(s), 8080, servers[s], Instant.now().minus(Duration.ofDays(1)));
                    p.send(new ProducerRecord<>(topics.rawListens().name(), RawEvents.listenKey(node, serverIp(s), 8080), l));
                }
            }
        }

        @SuppressWarnings({"unchecked", "rawtypes"})
        private KafkaProducer<String, Object> producer(String bootstrap) {
            Map<String, Object> c = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                    ProducerConfig.LINGER_MS_CONFIG, 20, ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024,
                    ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4", ProducerConfig.ACKS_CONFIG, "1");
            return new KafkaProducer<>(c, new StringSerializer(), (topic, v) -> {
                var t = (io.peregrine.schema.topic.Topic) topics.byName(topic).orElseThrow();
                return t.valueSerde().serializer().serialize(topic, v);
            });
        }

        private final L7Event template = L7Event.newBuilder(SampleRecords.l7Event()).setTraceparent(null).build();

        /** Event {@code i}; timestamps advance at {@code eventRate} per second of event time from {@code base}. */
        private L7Event event(long i, Instant ts) {
            int node = (int) (i % NODES);
            int client = (int) ((i / 7) % CLIENT_APPS);
            int server = (int) ((client * 3 + (i / 13) % 5) % SERVER_APPS);
            boolean serverSide = i % 5 == 0;
            L7Event e = L7Event.newBuilder(template)
                    .setNode(nodes[node]).setAgentRunId(runId).setSeq(seq[node]++).setTimestamp(ts)
                    .setSide(serverSide ? Side.SERVER : Side.CLIENT)
                    .setProtocol(Protocol.HTTP)
                    .setInstance(serverSide ? servers[server] : clients[client])
                    .setError(i % 50 == 0).setStatus(i % 50 == 0 ? "503" : "200").setStatusCode(i % 50 == 0 ? 503 : 200)
                    .setLatencyNs((1 + (i * 7919) % 400) * MS / 4)
                    .setClientIp("10.60." + (client / 200) + "." + (client % 200 + 1)).setClientPort(40_000)
                    .setServerIp(serverIp(server)).setServerPort(8080)
                    .build();
            return e;
        }

        void produce(String bootstrap, long n, Instant base, int eventRate) {
            try (KafkaProducer<String, Object> p = producer(bootstrap)) {
                for (long i = 0; i < n; i++) {
                    Instant ts = base.plusMillis(i * 1000 / eventRate);
                    L7Event e = event(i, ts);
                    p.send(new ProducerRecord<>(topics.rawL7().name(), null, ts.toEpochMilli(),
                            keys[(int) (i % NODES)], e));
                }
            }
        }

        void produceLive(String bootstrap, int rate, int seconds) throws InterruptedException {
            try (KafkaProducer<String, Object> p = producer(bootstrap)) {
                long start = System.nanoTime();
                long i = 0;
                long total = (long) rate * seconds;
                while (i < total) {
                    long due = (long) ((System.nanoTime() - start) / 1e9 * rate);
                    for (; i < Math.min(due, total); i++) {
                        Instant ts = Instant.now();
                        p.send(new ProducerRecord<>(topics.rawL7().name(), null, ts.toEpochMilli(),
                                keys[(int) (i % NODES)], event(i, ts)));
                    }
                    Thread.sleep(5);
                }
            }
        }
    }

}
