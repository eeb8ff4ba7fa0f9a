package io.peregrine.agent.publish;

import io.peregrine.agent.metrics.AgentMetrics;
import io.peregrine.schema.registry.RegistryException;
import io.peregrine.schema.registry.SchemaRegistryClient;
import io.peregrine.schema.topic.Topic;
import io.peregrine.schema.topic.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes the agent's records to Kafka without ever blocking the collectors or growing without
 * bound, and without losing records while Kafka (or the registry) is away.
 *
 * <p>{@link #publish} encodes the value to Avro binary on the caller's thread and puts it on a
 * bounded queue (full: the oldest record is dropped and counted). One sender thread owns the
 * Kafka producer and the {@link DiskSpool}:
 * <ul>
 *   <li>online (the spool is empty): records are framed with their registry id and sent in
 *       batches; each batch waits, bounded, for its acknowledgements, and its failures, in order,
 *       go to the spool, which makes the publisher offline;</li>
 *   <li>offline: new records are appended to the spool behind the older ones, and the spool is
 *       replayed oldest first, with backoff, until it is empty again. So records of a topic reach
 *       Kafka in the order they were published.</li>
 * </ul>
 * A replayed batch is committed in the spool only when all of it was acknowledged; records of it
 * that failed are retried alone, so a partial failure sends nothing twice. Only a crash between
 * delivery and commit repeats records (consumers drop them by (agent_run_id, seq)).
 */
public final class Publisher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Publisher.class);

    /**
     * Settings of the publisher; see {@code AgentConfig} for their documentation. {@code ackTimeout}
     * bounds the wait for a batch's acknowledgements: the producer's {@code delivery.timeout.ms}
     * plus a margin, so that a producer which never completes its batches cannot park the sender.
     */
    public record Settings(int queueCapacity, int maxBatch, Duration lingerMax, Duration retryBackoffMax,
                           Duration closeTimeout, Duration ackTimeout) {
    }

    private final Supplier<Producer<String, byte[]>> producerFactory;
    private Producer<String, byte[]> producer;
    private final SchemaRegistryClient registry;
    private final DiskSpool spool;
    private final Settings settings;
    private final BlockingQueue<SpooledRecord> queue;
    private final Map<Long, Schema> schemasByFingerprint = new HashMap<>();
    private final Map<String, Schema> topicSchemas = new HashMap<>();
    /** Per topic, once registered: the sender thread's shortcut past the lookups above (a quarter of its time). */
    private final Map<String, Registered> registered = new HashMap<>();
    private final Thread sender;
    private final AgentMetrics metrics;
    private final LongAdder droppedQueueFull;
    /** The published and sent counters of each topic, looked up once: they count every record. */
    private final Map<String, LongAdder> published = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, LongAdder> sentByTopic = new java.util.concurrent.ConcurrentHashMap<>();
    private final LongAdder producerErrors;
    /**
     * How often the sender looks at the queue while a batch fills: at the 100,000 records a second
     * of a saturated host, 1,000 records, a small part of the queue's capacity.
     */
    private static final long FILL_STEP_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final Object ACKED = new Object();
    private static final Object SKIPPED = new Object();
    private volatile boolean running = true;
    private volatile boolean online = true;

    private DiskSpool.Batch pendingBatch;
    private List<SpooledRecord> pendingRetry = List.of();
    private long nextReplayNanos;
    private Duration backoff = Duration.ofMillis(200);
    private String lastErrorCause;
    private boolean needsFreshProducer;

    public Publisher(Supplier<Producer<String, byte[]>> producerFactory, SchemaRegistryClient registry, Topics topics, java.nio.file.Path spoolDir,
                     long spoolCapBytes, Settings settings, AgentMetrics metrics) {
        this.producerFactory = producerFactory;
        this.producer = producerFactory.get();
        this.registry = registry;
        this.spool = new DiskSpool(spoolDir, spoolCapBytes, Math.max(1 << 20, Math.min(64L << 20, spoolCapBytes / 16)));
        this.settings = settings;
        this.metrics = metrics;
        this.queue = new ArrayBlockingQueue<>(settings.queueCapacity());
        for (Topic<?, ?> t : topics.all()) {
            if (SpecificRecord.class.isAssignableFrom(t.valueType())) {
                Schema s = SpecificData.get().getSchema(t.valueType());
                schemasByFingerprint.put(SchemaNormalization.parsingFingerprint64(s), s);
                topicSchemas.put(t.name(), s);
            }
        }
        this.droppedQueueFull = metrics.counter("peregrine_agent_dropped_total",
                "Records dropped before reaching Kafka, by reason", "reason", "queue_full");
        this.producerErrors = metrics.counter("peregrine_agent_producer_errors_total",
                "Failed deliveries to Kafka (the records were spooled, not lost)");
        metrics.gauge("peregrine_agent_spool_bytes", "Bytes waiting in the disk spool", () -> spoolBytes);
        metrics.gauge("peregrine_agent_queue_records", "Records waiting in memory for the sender", queue::size);
        metrics.gauge("peregrine_agent_online", "1 when records go straight to Kafka, 0 while spooling",
                () -> online ? 1 : 0);
        this.online = spool.isEmpty();
        this.spoolBytes = spool.sizeBytes();
        this.sender = new Thread(this::run, "agent-publisher");
        this.sender.setDaemon(false);
        this.sender.start();
    }

    private volatile long spoolBytes;

    /**
     * Queues a record for Kafka; never blocks. The record's Kafka timestamp is {@code timestampMs}
     * (the event time).
     */
    public <V extends SpecificRecord> void publish(Topic<String, V> topic, String key, V value, long timestampMs) {
        byte[] framed = AvroBinary.encode(value);
        long fingerprint = AvroBinary.fingerprint(value.getSchema());
        SpooledRecord r = new SpooledRecord(topic.name(), key, framed, fingerprint, timestampMs);
        LongAdder counter = published.get(topic.name());  // get first: computeIfAbsent locks its bin
        if (counter == null) {
            counter = published.computeIfAbsent(topic.name(), t -> metrics.counter("peregrine_agent_published_total",
                    "Records handed to the publisher", "topic", t));
        }
        counter.increment();
        while (!queue.offer(r)) {
            // Full: drop the oldest, not the newest, so what is kept is current.
            if (queue.poll() != null) {
                droppedQueueFull.increment();
            }
        }
    }

    /** True while nothing waits in the spool. */
    public boolean isOnline() {
        return online;
    }

    private void run() {
        List<SpooledRecord> batch = new ArrayList<>(settings.maxBatch());
        try {
            while (running || !queue.isEmpty()) {
                batch.clear();
                SpooledRecord first = queue.poll(settings.lingerMax().toMillis(), TimeUnit.MILLISECONDS);
                if (first != null) {
                    batch.add(first);
                    fill(batch);
                }
                if (!batch.isEmpty()) {
                    if (online) {
                        List<SpooledRecord> failed = deliver(batch);
                        if (!failed.isEmpty()) {
                            spool(failed);
                            goOffline();
                        }
                    } else {
                        spool(batch);
                    }
                }
                if (!online && running && System.nanoTime() >= nextReplayNanos) {
                    replay();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | IOException e) {
            log.error("publisher stopped by an unexpected error; records now stay in the spool", e);
        }
    }

    /**
     * Lets a batch grow for up to the linger time after its first record, or until it is full: one
     * produce request per few thousand records instead of one per round trip costs the agent (and
     * the broker) a fraction of the CPU per record. The sender looks at the queue every
     * {@link #FILL_STEP_NANOS} rather than waiting on it: a waiting sender was woken by nearly every
     * record (up to ~1,400 wake-ups a second at 10,000 requests a second), each a futex call on both
     * threads and a context switch on the host the agent watches.
     */
    private void fill(List<SpooledRecord> batch) throws InterruptedException {
        long deadline = System.nanoTime() + settings.lingerMax().toNanos();
        queue.drainTo(batch, settings.maxBatch() - batch.size());
        while (running && batch.size() < settings.maxBatch()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            TimeUnit.NANOSECONDS.sleep(Math.min(left, FILL_STEP_NANOS));
            queue.drainTo(batch, settings.maxBatch() - batch.size());
        }
    }

    private void goOffline() {
        online = false;
        nextReplayNanos = System.nanoTime() + backoff.toNanos();
    }

    /**
     * Sends the oldest spooled records; returns to online once the spool is empty.
     *
     * <p>Order is kept by two rules. After a failure the producer is replaced: an idempotent
     * producer whose batches expired keeps sequence state that makes the broker refuse the next
     * records of a partition while later ones go through. And the first attempt after a failure
     * sends one record alone, as a probe: only once Kafka has taken it does the rest follow, so a
     * half-recovered cluster cannot accept later records and refuse earlier ones.
     */
    private void replay() throws IOException {
        if (pendingBatch == null) {
            pendingBatch = spool.peek(settings.maxBatch());
            pendingRetry = pendingBatch.records();
        }
        if (needsFreshProducer) {
            producer.close(Duration.ZERO);
            producer = producerFactory.get();
            needsFreshProducer = false;
        }
        List<SpooledRecord> failed = pendingRetry.isEmpty() ? List.of() : deliver(pendingRetry.subList(0, 1));
        if (failed.isEmpty() && pendingRetry.size() > 1) {
            failed = deliver(pendingRetry.subList(1, pendingRetry.size()));
        } else if (!failed.isEmpty()) {
            failed = pendingRetry;
        }
        if (failed.isEmpty()) {
            spool.commit(pendingBatch);
            spoolBytes = spool.sizeBytes();
            pendingBatch = null;
            pendingRetry = List.of();
            backoff = Duration.ofMillis(200);
            if (spool.isEmpty()) {
                online = true;
                log.info("Kafka reachable again; spool drained");
            }
        } else {
            pendingRetry = failed;
            backoff = backoff.multipliedBy(2).compareTo(settings.retryBackoffMax()) > 0
                    ? settings.retryBackoffMax() : backoff.multipliedBy(2);
            nextReplayNanos = System.nanoTime() + backoff.toNanos();
        }
    }

    private void spool(List<SpooledRecord> records) throws IOException {
        long droppedBefore = spool.droppedRecords();
        spool.append(records);
        spoolBytes = spool.sizeBytes();
        for (SpooledRecord r : records) {
            metrics.counter("peregrine_agent_spooled_total", "Records written to the disk spool", "topic", r.topic())
                    .increment();
        }
        long dropped = spool.droppedRecords() - droppedBefore;
        if (dropped > 0) {
            metrics.counter("peregrine_agent_dropped_total", "Records dropped before reaching Kafka, by reason",
                    "reason", "spool_full").add(dropped);
        }
    }

    /**
     * Sends {@code records} and waits for all acknowledgements, at most the ack timeout; returns
     * those that failed or were not acknowledged in time, in order. The first failure that happens
     * before a record leaves (no metadata, no schema id) fails the rest without trying them: each
     * would wait out the same timeout. A record that times out here may still reach Kafka later
     * through the abandoned producer; it is then delivered twice, never lost.
     */
    private List<SpooledRecord> deliver(List<SpooledRecord> records) {
        int n = records.size();
        // Per record: null until acknowledged, then ACKED, SKIPPED or the failure.
        AtomicReferenceArray<Object> outcomes = new AtomicReferenceArray<>(n);
        // The records' topics, for counting the acknowledged without touching the records again.
        String[] topics = new String[n];
        Completions completions = new Completions();
        int sent = 0;
        Exception early = null;
        for (; sent < n; sent++) {
            SpooledRecord r = records.get(sent);
            topics[sent] = r.topic();
            byte[] framed;
            try {
                framed = frame(r);
            } catch (RegistryException | KafkaException e) {
                early = e;
                break;
            }
            if (framed == null) {
                outcomes.set(sent, SKIPPED); // counted as dropped: written with a schema this agent no longer has
                continue;
            }
            final int index = sent;
            try {
                completions.sending();
                producer.send(new ProducerRecord<>(r.topic(), null, r.timestamp(), r.key(), framed), (meta, e) -> {
                    outcomes.set(index, e != null ? e : ACKED);
                    completions.completed();
                });
            } catch (KafkaException e) {
                completions.completed();  // thrown, so no callback comes
                early = e;
                break;
            }
            if (outcomes.get(index) instanceof Exception e) {
                // Failed inside send() (no metadata within max.block.ms, full buffer): the client
                // reports that through the callback, not by throwing. Each further record would
                // block as long again, so the rest of the batch fails now.
                early = e;
                sent++;
                break;
            }
        }
        // Not producer.flush(): it has no bound of its own, and the sender must never park.
        boolean complete;
        try {
            complete = completions.await(settings.ackTimeout());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            complete = false;
        }
        Exception timeout = complete ? null
                : new org.apache.kafka.common.errors.TimeoutException("no acknowledgement within " + settings.ackTimeout());
        List<SpooledRecord> failed = new ArrayList<>();
        Exception cause = early;
        String countedTopic = null;  // the acknowledged are counted by runs of one topic
        long acked = 0;
        for (int i = 0; i < n; i++) {
            Object outcome = outcomes.get(i);
            if (outcome == ACKED) {
                if (topics[i] != countedTopic) {
                    if (acked > 0) {
                        sent(countedTopic).add(acked);
                    }
                    countedTopic = topics[i];
                    acked = 0;
                }
                acked++;
            } else if (outcome != SKIPPED) {
                failed.add(records.get(i));
                if (cause == null) {
                    cause = outcome instanceof Exception e ? e : i >= sent ? early : timeout;
                }
            }
        }
        if (acked > 0) {
            sent(countedTopic).add(acked);
        }
        if (!failed.isEmpty()) {
            needsFreshProducer = true;
            producerErrors.add(failed.size());
            String why = cause == null ? "unknown" : cause.getClass().getSimpleName();
            if (!why.equals(lastErrorCause)) {
                // One warning per cause, not per record or per retry.
                log.warn("cannot deliver to Kafka ({}): {} record(s) spooled until it is reachable", why,
                        failed.size());
                lastErrorCause = why;
            }
        } else {
            lastErrorCause = null;
        }
        return failed;
    }

    /**
     * Counts a batch's acknowledgements and wakes the sender once, at the last: a semaphore
     * released per record woke the waiting sender for every acknowledgement only to park it again.
     */
    private static final class Completions {
        /** Records sent and not yet acknowledged, plus one until the sender has sent them all. */
        private final AtomicInteger pending = new AtomicInteger(1);
        private final CountDownLatch done = new CountDownLatch(1);

        void sending() {
            pending.incrementAndGet();
        }

        void completed() {
            if (pending.decrementAndGet() == 0) {
                done.countDown();
            }
        }

        /** After the last send: whether every record sent was acknowledged within the timeout. */
        boolean await(Duration timeout) throws InterruptedException {
            completed();
            return done.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private LongAdder sent(String topic) {
        LongAdder counter = sentByTopic.get(topic);
        return counter != null ? counter : sentByTopic.computeIfAbsent(topic,
                t -> metrics.counter("peregrine_agent_sent_total", "Records acknowledged by Kafka", "topic", t));
    }

    private byte[] frame(SpooledRecord r) {
        Registered known = registered.get(r.topic());
        if (known != null && known.fingerprint() == r.schemaFingerprint()) {
            return r.frame(known.id());
        }
        Schema schema = schemasByFingerprint.get(r.schemaFingerprint());
        if (schema == null || schema != topicSchemas.get(r.topic())) {
            metrics.counter("peregrine_agent_dropped_total", "Records dropped before reaching Kafka, by reason",
                    "reason", "schema_changed").increment();
            return null;
        }
        int id = registry.register(r.topic() + "-value", schema);
        registered.put(r.topic(), new Registered(r.schemaFingerprint(), id));
        return r.frame(id);
    }

    /** The registry id of the schema a topic's records are written with (a schema's id never changes). */
    private record Registered(long fingerprint, int id) {
    }

    /**
     * Stops accepting, sends what is queued (or spools it when Kafka is away) and closes the
     * producer; waits at most the close timeout.
     */
    @Override
    public void close() {
        running = false;
        try {
            sender.join(settings.closeTimeout().toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (sender.isAlive()) {
            log.warn("publisher did not finish within {}; unsent records stay queued in memory and are lost",
                    settings.closeTimeout());
            sender.interrupt();
        }
        producer.close(Duration.ofSeconds(5));
        try {
            spool.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close the spool", e);
        }
    }
}
