package io.peregrine.flink.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.peregrine.flink.anomaly.AnomalyConfig;
import io.peregrine.flink.anomaly.AnomalyWorkflow;
import io.peregrine.flink.kafka.AvroRecordDeserializer;
import io.peregrine.flink.kafka.Decoded;
import io.peregrine.flink.kafka.KafkaEndpoints;
import io.peregrine.flink.kafka.KafkaSinks;
import io.peregrine.flink.kafka.KafkaSources;
import io.peregrine.flink.incident.IncidentConfig;
import io.peregrine.flink.incident.IncidentWorkflow;
import io.peregrine.schema.Incident;
import io.peregrine.flink.kafka.RecordValidator;
import io.peregrine.flink.notify.NotifyWorkflow;
import io.peregrine.flink.notify.pagerduty.PagerDutyConfig;
import io.peregrine.flink.slo.SloConfig;
import io.peregrine.flink.slo.SloWorkflow;
import io.peregrine.flink.slo.functions.SliWindowValidator;
import io.peregrine.kafka.EmbeddedKafka;
import io.peregrine.registry.RegistryConfig;
import io.peregrine.registry.SchemaRegistryServer;
import io.peregrine.schema.Alert;
import io.peregrine.schema.AppId;
import io.peregrine.schema.AppKind;
import io.peregrine.schema.SampleRecords;
import io.peregrine.schema.ServiceSliWindow;
import io.peregrine.schema.registry.SchemaRegistryClient;
import io.peregrine.schema.serde.SerdeConfig;
import io.peregrine.schema.topic.Topic;
import io.peregrine.schema.topic.TopicAdmin;
import io.peregrine.schema.topic.Topics;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Macro benchmark of the alerting job (SLO burn rate + anomaly detection + PagerDuty notification,
 * the graph {@code FlinkJobs.define} builds) on a Flink MiniCluster against the real embedded
 * broker and registry. Two figures:
 *
 * <ol>
 * <li><b>Throughput:</b> {@code --apps} x {@code --windows} generated SLI windows are pre-loaded
 * into {@code peregrine.sli}; the job reads them with a bounded source (the production
 * deserializer and validator) and ends when all are processed. Reported: records / s from the
 * first record decoded to the last, and from the first record to the job's end (final checkpoint
 * and transaction commits included).</li>
 * <li><b>Latency:</b> the production (unbounded) job runs while background traffic flows at
 * {@code --background-rate}; per trial a fresh application with {@code 6} healthy windows gets one
 * window failing every request. Measured: from just before that record is handed to the producer
 * to the PagerDuty trigger for that application arriving at a loopback HTTP receiver;
 * {@code --trials} trials, p50/p90/p99/max reported. Event time follows the wall clock as it does
 * in production: the background is {@code --background-rate} x 10 s applications, each sending the
 * 10 s window that just closed once per window, and a trial's failing window is the one that just
 * closed too. (Background windows whose event time ran ahead of the trials' would keep the
 * watermark past every trial, hiding any wait for it.)</li>
 * </ol>
 *
 * <pre>
 * mvn -B -o -pl flink-jobs -Pbench integration-test -DskipTests [-Dbench.args="--apps 5000 --windows 200 --trials 300"]
 * </pre>
 */
public final class AlertingBenchmark {

    private static final Duration WINDOW = Duration.ofSeconds(10);
    private static final String ROUTING_KEY = "0123456789abcdef0123456789abcdef";

    /** Decode-side timing of the throughput run, shared with the source's deserializer (same JVM: MiniCluster). */
    static final AtomicLong FIRST_NANOS = new AtomicLong();
    static final AtomicLong LAST_NANOS = new AtomicLong();
    static final AtomicLong DECODED = new AtomicLong();
    /** Process CPU time at the first record decoded, and at the latest sample (every 1,024 records) with its count. */
    static final AtomicLong FIRST_CPU = new AtomicLong();
    static final AtomicLong LAST_CPU = new AtomicLong();
    static final AtomicLong LAST_CPU_RECORDS = new AtomicLong();
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    private static final List<Path> CHECKPOINT_DIRS = new ArrayList<>();

    private AlertingBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new java.util.HashMap<>(Map.of("--apps", "5000", "--windows", "200",
                "--parallelism", "2", "--trials", "300", "--background-rate", "10000", "--gap-ms", "100",
                "--rounds", "1", "--isolate", "false"));
        for (int i = 0; i + 1 < args.length; i += 2) {
            a.put(args[i], args[i + 1]);
        }
        int apps = Integer.parseInt(a.get("--apps"));
        int windows = Integer.parseInt(a.get("--windows"));
        int parallelism = Integer.parseInt(a.get("--parallelism"));
        int trials = Integer.parseInt(a.get("--trials"));
        int backgroundRate = Integer.parseInt(a.get("--background-rate"));
        int gapMs = Integer.parseInt(a.get("--gap-ms"));
        int rounds = Integer.parseInt(a.get("--rounds"));
        boolean isolate = Boolean.parseBoolean(a.get("--isolate"));
        System.out.printf(Locale.ROOT, "machine: %d cores visible, JVM max heap %d MB, %s%n",
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20,
                System.getProperty("java.version"));

        Path dir = Files.createTempDirectory("peregrine-bench-kafka-");
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(dir).port(0).controllerPort(0).start();
             SchemaRegistryServer registry = SchemaRegistryServer.start(RegistryConfig.builder()
                     .bootstrapServers(kafka.bootstrapServers()).host("127.0.0.1").port(0).build())) {
            KafkaEndpoints endpoints = KafkaEndpoints.of(kafka.bootstrapServers(), registry.url());
            Topics topics = Topics.create(SchemaRegistryClient.create(endpoints.registryConfig()),
                    SerdeConfig.from(Map.of()), parallelism);
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                TopicAdmin.ensure(admin, topics.all(), (short) 1);
            }
            throughput(endpoints, topics, apps, windows, parallelism, rounds, isolate);
            if (trials > 0) {
                latency(endpoints, topics, parallelism, trials, backgroundRate, gapMs);
            }
        } finally {
            deleteRecursively(dir);
            for (Path p : CHECKPOINT_DIRS) {
                deleteRecursively(p);
            }
        }
        System.exit(0);
    }

    // ------------------------------------------------------------------------------------ throughput

    private static void throughput(KafkaEndpoints endpoints, Topics topics, int apps, int windows, int parallelism,
                                   int rounds, boolean isolate) throws Exception {
        Topic<String, ServiceSliWindow> sli = topics.sli();
        Instant t0 = Instant.now().minus(WINDOW.multipliedBy(windows + 10)).truncatedTo(java.time.temporal.ChronoUnit.MINUTES);
        long n = (long) apps * windows;
        long loadStart = System.nanoTime();
        Random random = new Random(1);
        FastEncoder encoder = new FastEncoder(sli);
        List<AppId> ids = new ArrayList<>();
        for (int app = 0; app < apps; app++) {
            ids.add(app("bench-" + app));
        }
        ServiceSliWindow r = window(ids.get(0), t0, 1, 0, 1);
        try (KafkaProducer<byte[], byte[]> producer = producer(endpoints, 262_144, 20)) {
            for (int w = 0; w < windows; w++) {
                for (int app = 0; app < apps; app++) {
                    long requests = 50 + random.nextInt(100);
                    long errors = random.nextInt(100) == 0 ? random.nextInt(3) : 0;
                    fill(r, ids.get(app), t0.plus(WINDOW.multipliedBy(w)), requests, errors, 40 + random.nextInt(20));
                    producer.send(new ProducerRecord<>(sli.name(), null, r.getWindowEnd().toEpochMilli(),
                            utf8(r.getApp().getId()), encoder.encode(r)));
                }
            }
            producer.flush();
        }
        System.out.printf(Locale.ROOT, "throughput: pre-loaded %,d SLI windows (%d apps x %d windows) in %.1f s%n", n,
                apps, windows, (System.nanoTime() - loadStart) / 1e9);

        // Alternating rounds: the baseline (the same bounded source and decoding, dead-letter split,
        // nothing else), optionally each stage alone on that baseline, then the alerting job. CPU time
        // is the whole JVM's (broker and registry included: they serve every job alike) while the
        // records are read, per record; JIT compilation weighs on the first round, so run several.
        List<String> jobs = new ArrayList<>(List.of("baseline"));
        if (isolate) {
            jobs.addAll(List.of("slo", "anomaly", "slo+anomaly"));
        }
        jobs.add("alerting");
        Map<String, List<double[]>> results = new java.util.LinkedHashMap<>();
        for (int round = 0; round < rounds; round++) {
            for (String job : jobs) {
                double[] res = run(job, endpoints, topics, parallelism, round);
                results.computeIfAbsent(job, k -> new ArrayList<>()).add(res);
                System.out.printf(Locale.ROOT, "throughput: round %d %-12s %,9.0f records/s first to last record "
                        + "decoded (%.2f s), %,9.0f records/s to the job's end; CPU %.1f us/record (%.2f cores busy); "
                        + "load average %.2f%n", round, job, res[0], res[1], res[2], res[3], res[4], res[5]);
            }
        }
        double base = median(results.get("baseline"), 0);
        double baseCpu = median(results.get("baseline"), 3);
        for (Map.Entry<String, List<double[]>> e : results.entrySet()) {
            System.out.printf(Locale.ROOT, "throughput: median of %d %-12s %,9.0f records/s (%.2f x the baseline), "
                            + "CPU %.1f us/record (%.2f x the baseline's)%n", e.getValue().size(), e.getKey(),
                    median(e.getValue(), 0), median(e.getValue(), 0) / base, median(e.getValue(), 3),
                    median(e.getValue(), 3) / baseCpu);
        }
    }

    private static double median(List<double[]> runs, int field) {
        double[] v = runs.stream().mapToDouble(r -> r[field]).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /**
     * One bounded run of {@code job} over the pre-loaded topic: records/s first to last decoded,
     * those seconds, records/s first decoded to the job's end, CPU us per record, cores busy, load
     * average at the end.
     */
    private static double[] run(String job, KafkaEndpoints endpoints, Topics topics, int parallelism, int round)
            throws Exception {
        Topic<String, ServiceSliWindow> sli = topics.sli();
        StreamExecutionEnvironment env = environment(parallelism);
        KafkaSource<Decoded<ServiceSliWindow>> source = boundedSli(endpoints, sli, "bench-" + job + "-" + round);
        HttpServer pd = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        try {
            pd.createContext("/", x -> {
                x.getRequestBody().readAllBytes();
                x.sendResponseHeaders(202, -1);
                x.close();
            });
            pd.start();
            if (job.equals("alerting")) {
                String run = "bench-tp-" + round;
                alertingJob(env, source, endpoints, run, URI.create("http://127.0.0.1:" + pd.getAddress().getPort() + "/"),
                        bounded(endpoints, topics.topology().name(), run + "-topology",
                                new AvroRecordDeserializer<>(endpoints, Topics::topology, io.peregrine.schema.ServiceEdge.class,
                                        "flink/incident/topology-source", RecordValidator.none())),
                        bounded(endpoints, topics.silences().name(), run + "-silences",
                                new AvroRecordDeserializer<>(endpoints, Topics::silences, io.peregrine.schema.Silence.class,
                                        "flink/incident/silences-source", RecordValidator.none())));
            } else {
                DataStream<ServiceSliWindow> windows = SloWorkflow.windows(env, source, new DiscardingSink<>(),
                        SloConfig.defaults());
                if (job.equals("baseline")) {
                    windows.sinkTo(new DiscardingSink<>()).name("discard");
                }
                if (job.contains("slo")) {
                    SloWorkflow.alerts(windows, new DiscardingSink<>(), SloConfig.defaults());
                }
                if (job.contains("anomaly")) {
                    AnomalyWorkflow.define(windows, new DiscardingSink<>(), new DiscardingSink<>(), AnomalyConfig.defaults());
                }
            }
            reset();
            env.execute("peregrine-bench-" + job);
            long end = System.nanoTime();
            long decoded = DECODED.get();
            double decodeSeconds = (LAST_NANOS.get() - FIRST_NANOS.get()) / 1e9;
            double toEndSeconds = (end - FIRST_NANOS.get()) / 1e9;
            // While records are read (every stage runs then; the sampled span trails the last by < 1,024 records).
            double cpuNanos = LAST_CPU.get() - FIRST_CPU.get();
            return new double[] {decoded / decodeSeconds, decodeSeconds, decoded / toEndSeconds,
                    cpuNanos / 1e3 / LAST_CPU_RECORDS.get(), cpuNanos / (LAST_NANOS.get() - FIRST_NANOS.get()),
                    OS.getSystemLoadAverage()};
        } finally {
            pd.stop(0);
        }
    }

    /** A changelog source that ends at the topic's current end, so the throughput job can finish. */
    private static <V extends org.apache.avro.specific.SpecificRecordBase> KafkaSource<Decoded<V>> bounded(
            KafkaEndpoints endpoints, String topic, String group, AvroRecordDeserializer<V> deserializer) {
        return KafkaSource.<Decoded<V>>builder()
                .setBootstrapServers(endpoints.bootstrapServers())
                .setTopics(topic)
                .setGroupId(group)
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setBounded(OffsetsInitializer.latest())
                .setProperties(readCommitted(endpoints))
                .setDeserializer(deserializer)
                .build();
    }

    private static KafkaSource<Decoded<ServiceSliWindow>> boundedSli(KafkaEndpoints endpoints,
                                                                    Topic<String, ServiceSliWindow> sli, String group) {
        return KafkaSource.<Decoded<ServiceSliWindow>>builder()
                .setBootstrapServers(endpoints.bootstrapServers())
                .setTopics(sli.name())
                .setGroupId(group)
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setBounded(OffsetsInitializer.latest())
                .setProperties(readCommitted(endpoints))
                .setDeserializer(new Timed(KafkaSources.sliDeserializer(endpoints, "flink/slo/sli-source",
                        new SliWindowValidator())))
                .build();
    }

    private static void reset() {
        FIRST_NANOS.set(0);
        LAST_NANOS.set(0);
        DECODED.set(0);
        FIRST_CPU.set(0);
        LAST_CPU.set(0);
        LAST_CPU_RECORDS.set(0);
    }

    /** The production deserializer, timing the first and last record it decodes. */
    static final class Timed implements KafkaRecordDeserializationSchema<Decoded<ServiceSliWindow>> {
        private static final long serialVersionUID = 1L;
        private final AvroRecordDeserializer<ServiceSliWindow> inner;

        Timed(AvroRecordDeserializer<ServiceSliWindow> inner) {
            this.inner = inner;
        }

        @Override
        public void open(DeserializationSchema.InitializationContext context) throws Exception {
            inner.open(context);
        }

        @Override
        public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<Decoded<ServiceSliWindow>> out)
                throws IOException {
            long now = System.nanoTime();
            if (FIRST_NANOS.get() == 0 && FIRST_NANOS.compareAndSet(0, now)) {
                FIRST_CPU.set(OS.getProcessCpuTime());
            }
            inner.deserialize(record, out);
            LAST_NANOS.accumulateAndGet(now, Math::max);
            long n = DECODED.incrementAndGet();
            if ((n & 1023) == 0) {
                LAST_CPU.set(OS.getProcessCpuTime());
                LAST_CPU_RECORDS.set(n);
            }
        }

        @Override
        public TypeInformation<Decoded<ServiceSliWindow>> getProducedType() {
            return inner.getProducedType();
        }
    }

    // ------------------------------------------------------------------------------------ latency

    private static void latency(KafkaEndpoints endpoints, Topics topics, int parallelism, int trials, int backgroundRate,
                                int gapMs) throws Exception {
        Topic<String, ServiceSliWindow> sli = topics.sli();
        ObjectMapper json = new ObjectMapper();
        Map<String, Long> arrived = new ConcurrentHashMap<>();
        HttpServer pd = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        pd.createContext("/", x -> {
            long at = System.nanoTime();
            byte[] body = x.getRequestBody().readAllBytes();
            x.sendResponseHeaders(202, -1);
            x.close();
            JsonNode b = json.readTree(body);
            if ("trigger".equals(b.path("event_action").asText())) {
                arrived.putIfAbsent(b.at("/payload/source").asText(), at);
            }
        });
        pd.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(2));
        pd.start();

        // Every trial app: 6 healthy windows ending now, then (per trial) one window failing every request.
        Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        Instant healthyStart = now.minus(WINDOW.multipliedBy(6));
        try (KafkaProducer<byte[], byte[]> producer = producer(endpoints, 16_384, 0)) {
            for (int t = 0; t < trials; t++) {
                for (int w = 0; w < 6; w++) {
                    ServiceSliWindow r = window(app("latency-" + t), healthyStart.plus(WINDOW.multipliedBy(w)), 100, 0, 40);
                    send(producer, sli, r);
                }
            }
            producer.flush();
        }

        StreamExecutionEnvironment env = environment(parallelism);
        alertingJob(env, KafkaSources.sli(endpoints, "bench-latency", "flink/slo/sli-source", new SliWindowValidator()),
                endpoints, "bench-lat", URI.create("http://127.0.0.1:" + pd.getAddress().getPort() + "/"),
                KafkaSources.topology(endpoints, "bench-lat-topology", "flink/incident/topology-source"),
                KafkaSources.silences(endpoints, "bench-lat-silences", "flink/incident/silences-source"));
        JobClient job = env.executeAsync("peregrine-bench-latency");
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong backgroundSent = new AtomicLong();
        Thread background = new Thread(() -> background(endpoints, sli, backgroundRate, stop, backgroundSent, now),
                "bench-background");
        try {
            // Wait until the job is running and caught up: the first trial's healthy windows carry no signal, so
            // warm up with one throw-away trial that must arrive.
            background.start();
            long[] latencies = new long[trials];
            int missing = 0;
            long phaseStart = System.nanoTime();
            try (KafkaProducer<byte[], byte[]> producer = producer(endpoints, 16_384, 0)) {
                warmUp(producer, sli, arrived, now);
                for (int t = 0; t < trials; t++) {
                    String id = app("latency-" + t).getId();
                    ServiceSliWindow failing = window(app("latency-" + t), closedWindowStart(), 100, 100, 40);
                    long sent = System.nanoTime();
                    send(producer, sli, failing);
                    long deadline = sent + Duration.ofSeconds(TRIAL_TIMEOUT_S).toNanos();
                    Long at;
                    while ((at = arrived.get(id)) == null && System.nanoTime() < deadline) {
                        Thread.sleep(0, 200_000);
                    }
                    if (at == null) {
                        missing++;
                        latencies[t] = Long.MAX_VALUE;
                    } else {
                        latencies[t] = at - sent;
                    }
                    Thread.sleep(gapMs);
                }
            }
            double seconds = (System.nanoTime() - phaseStart) / 1e9;
            long[] ok = Arrays.stream(latencies).filter(l -> l != Long.MAX_VALUE).sorted().toArray();
            System.out.printf(Locale.ROOT, "latency: %d trials, %d without a page within %d s; background load %,.0f "
                    + "SLI records/s (target %d); load average %.2f%n", trials, missing, TRIAL_TIMEOUT_S, backgroundSent.get() / seconds, backgroundRate,
                    OS.getSystemLoadAverage());
            if (ok.length > 0) {
                System.out.printf(Locale.ROOT, "latency: failing SLI record produced -> PagerDuty trigger at the "
                                + "loopback receiver: p50 %.0f ms, p90 %.0f ms, p99 %.0f ms, max %.0f ms%n",
                        ms(pct(ok, 50)), ms(pct(ok, 90)), ms(pct(ok, 99)), ms(ok[ok.length - 1]));
            }
        } finally {
            stop.set(true);
            background.join(10_000);
            job.cancel().get();
            pd.stop(0);
        }
    }

    /** One trial that is not counted: waits (bounded) until the job pages, so start-up is not measured. */
    private static void warmUp(KafkaProducer<byte[], byte[]> producer, Topic<String, ServiceSliWindow> sli,
                               Map<String, Long> arrived, Instant now) throws Exception {
        AppId warm = app("latency-warm-up");
        for (int w = 0; w < 6; w++) {
            send(producer, sli, window(warm, now.minus(WINDOW.multipliedBy(6 - w)), 100, 0, 40));
        }
        send(producer, sli, window(warm, closedWindowStart(), 100, 100, 40));
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (!arrived.containsKey(warm.getId())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the job did not page the warm-up app within 3 minutes");
            }
            Thread.sleep(50);
        }
        System.out.println("latency: job running and paging; starting trials");
    }

    /** How long a trial waits for its page. */
    private static final int TRIAL_TIMEOUT_S = 90;

    /** Start of the 10 s window that closed last (wall clock, aligned as the Streams stage aligns them). */
    private static Instant closedWindowStart() {
        long w = WINDOW.toMillis();
        long now = System.currentTimeMillis();
        return Instant.ofEpochMilli(now - Math.floorMod(now, w) - w);
    }

    /**
     * Healthy windows at {@code rate} records/s, as steady load while trials run: {@code rate} x 10 s
     * apps, each sending the window that just closed once per window, spread evenly over it.
     */
    private static void background(KafkaEndpoints endpoints, Topic<String, ServiceSliWindow> sli, int rate,
                                   AtomicBoolean stop, AtomicLong sent, Instant now) {
        if (rate <= 0) {
            return;
        }
        int apps = (int) (rate * WINDOW.toSeconds());
        try (KafkaProducer<byte[], byte[]> producer = producer(endpoints, 65_536, 5)) {
            long start = System.nanoTime();
            while (!stop.get()) {
                Instant window = closedWindowStart();
                for (int app = 0; app < apps && !stop.get(); app++) {
                    send(producer, sli, window(app("background-" + app), window, 100, 0, 40));
                    long n = sent.incrementAndGet();
                    long due = start + n * 1_000_000_000L / rate;
                    long wait = due - System.nanoTime();
                    if (wait > 1_000_000) {
                        Thread.sleep(wait / 1_000_000);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------------------------ shared

    private static StreamExecutionEnvironment environment(int parallelism) throws IOException {
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        // As `peregrine flink --local` does: checkpoints on disk (state outgrows the JobManager's 5 MB).
        Path checkpoints = Files.createTempDirectory("peregrine-bench-checkpoints-");
        CHECKPOINT_DIRS.add(checkpoints);
        conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.toUri().toString());
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism, conf);
        env.enableCheckpointing(5_000, CheckpointingMode.EXACTLY_ONCE);
        return env;
    }

    /**
     * What FlinkJobs.define builds: SLO burn rate and anomaly detection on one SLI stream, incidents
     * from the alerts, PagerDuty on the incidents. {@code incidents.group_wait} is 0 here, so the
     * figure is the pipeline's own latency; by default a new incident's first page waits 10 s more,
     * by design (its root cause may signal one evaluation after its callers).
     */
    private static void alertingJob(StreamExecutionEnvironment env,
                                    org.apache.flink.api.connector.source.Source<Decoded<ServiceSliWindow>, ?, ?> source,
                                    KafkaEndpoints endpoints, String prefix, URI pagerDuty,
                                    org.apache.flink.api.connector.source.Source<Decoded<io.peregrine.schema.ServiceEdge>, ?, ?> topology,
                                    org.apache.flink.api.connector.source.Source<Decoded<io.peregrine.schema.Silence>, ?, ?> silences) {
        String run = prefix + "-" + Long.toHexString(System.nanoTime());
        DataStream<ServiceSliWindow> windows = SloWorkflow.windows(env, source,
                KafkaSinks.deadLetters(endpoints, DeliveryGuarantee.EXACTLY_ONCE, run + "-dlq"), SloConfig.defaults());
        DataStream<Alert> alerts = SloWorkflow.alerts(windows,
                KafkaSinks.alerts(endpoints, DeliveryGuarantee.EXACTLY_ONCE, run + "-alerts"), SloConfig.defaults())
                .union(AnomalyWorkflow.define(windows,
                        KafkaSinks.anomalies(endpoints, DeliveryGuarantee.EXACTLY_ONCE, run + "-anomalies"),
                        KafkaSinks.alerts(endpoints, DeliveryGuarantee.EXACTLY_ONCE, run + "-anomaly-alerts"),
                        AnomalyConfig.defaults()));
        DataStream<Incident> incidents = IncidentWorkflow.define(alerts, windows, topology, silences,
                KafkaSinks.incidents(endpoints, DeliveryGuarantee.EXACTLY_ONCE, run + "-incidents"),
                KafkaSinks.deadLetters(endpoints, DeliveryGuarantee.EXACTLY_ONCE, run + "-incident-dlq"),
                IncidentConfig.fromYaml("incidents: {group_wait: 0s}"));
        NotifyWorkflow.pagerDuty(incidents, new PagerDutyConfig(pagerDuty, ROUTING_KEY, Duration.ofSeconds(5),
                        Duration.ofMillis(100), Duration.ofSeconds(2), Duration.ofMinutes(1)), "peregrine.incidents",
                KafkaSinks.deadLetters(endpoints, DeliveryGuarantee.EXACTLY_ONCE, run + "-notify-dlq"));
    }

    private static ServiceSliWindow window(AppId app, Instant start, long requests, long errors, long p99Ms) {
        ServiceSliWindow w = SampleRecords.serviceSliWindow();
        fill(w, app, start, requests, errors, p99Ms);
        return w;
    }

    private static void fill(ServiceSliWindow w, AppId app, Instant start, long requests, long errors, long p99Ms) {
        w.setApp(app);
        w.setWindowStart(start);
        w.setWindowEnd(start.plus(WINDOW));
        w.setRequests(requests);
        w.setErrors(errors);
        w.setTotal(requests);
        w.setAvailabilityGood(requests - errors);
        w.setLatencyGood(requests - errors);
        w.setP99Ns(p99Ms * 1_000_000L);
    }

    /**
     * The registry serde's bytes, made faster for pre-loading: the 5-byte Confluent header (magic
     * byte, schema id) taken once from the serde, then plain Avro binary with a reused encoder.
     */
    static final class FastEncoder {
        private final byte[] header;
        private final org.apache.avro.specific.SpecificDatumWriter<ServiceSliWindow> writer =
                new org.apache.avro.specific.SpecificDatumWriter<>(ServiceSliWindow.class);
        private final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(512);
        private org.apache.avro.io.BinaryEncoder encoder;

        FastEncoder(Topic<String, ServiceSliWindow> sli) {
            byte[] sample = sli.valueSerde().serializer().serialize(sli.name(), SampleRecords.serviceSliWindow());
            header = Arrays.copyOf(sample, 5);
            ByteArrayCheck.same(sample, encodeWith(SampleRecords.serviceSliWindow()));
        }

        byte[] encode(ServiceSliWindow w) throws IOException {
            return encodeWith(w);
        }

        private byte[] encodeWith(ServiceSliWindow w) {
            try {
                out.reset();
                out.write(header);
                encoder = org.apache.avro.io.EncoderFactory.get().binaryEncoder(out, encoder);
                writer.write(w, encoder);
                encoder.flush();
                return out.toByteArray();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    /** Refuses to run with an encoder whose bytes differ from the serde's. */
    private static final class ByteArrayCheck {
        static void same(byte[] serde, byte[] fast) {
            if (!Arrays.equals(serde, fast)) {
                throw new IllegalStateException("the fast encoder does not produce the serde's bytes");
            }
        }
    }

    private static AppId app(String name) {
        return AppId.newBuilder().setKind(AppKind.KUBERNETES).setId("k8s/bench/" + name).setName(name)
                .setNamespace("bench").build();
    }

    private static KafkaProducer<byte[], byte[]> producer(KafkaEndpoints endpoints, int batchSize, int lingerMs) {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, endpoints.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.BATCH_SIZE_CONFIG, batchSize,
                ProducerConfig.LINGER_MS_CONFIG, lingerMs), new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, Topic<String, ServiceSliWindow> sli,
                             ServiceSliWindow r) {
        producer.send(new ProducerRecord<>(sli.name(), null, r.getWindowEnd().toEpochMilli(), utf8(r.getApp().getId()),
                sli.valueSerde().serializer().serialize(sli.name(), r)));
    }

    private static java.util.Properties readCommitted(KafkaEndpoints endpoints) {
        java.util.Properties p = endpoints.clientProperties();
        p.putIfAbsent(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return p;
    }

    private static long pct(long[] sorted, int p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var files = Files.walk(dir)) {
            List<Path> all = new ArrayList<>(files.toList());
            java.util.Collections.reverse(all);
            for (Path p : all) {
                Files.deleteIfExists(p);
            }
        }
    }
}
