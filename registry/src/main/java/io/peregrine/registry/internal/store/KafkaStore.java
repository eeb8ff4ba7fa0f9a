package io.peregrine.registry.internal.store;

import io.peregrine.registry.RegistryConfig;
import io.peregrine.registry.internal.state.RegistryState;
import io.peregrine.registry.internal.state.SharedState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code _schemas} topic as the registry's database: a reader thread that replays it into
 * {@link SharedState}, and a transactional writer.
 *
 * <h2>Reads</h2>
 *
 * The reader thread (read_committed consumer, partition 0 assigned, from the beginning) is the only
 * thing that mutates the state. Requests read that state; a write waits until the reader has
 * applied it before answering (read-your-writes).
 *
 * <h2>How writes are serialized, also across instances</h2>
 *
 * Several registry instances may share one topic, and a write must be decided against every write
 * committed before it (ids are max+1, versions are max+1, compatibility is checked against the
 * latest version). Confluent elects a leader and forwards writes to it; we instead use a Kafka
 * transaction as the cross-instance write lock:
 *
 * <ol>
 *   <li>Every instance's writer uses the same {@code transactional.id}
 *       ({@code peregrine-registry-<topic>} by default). A local lock admits one write at a time.
 *   <li>If we have no producer, create one and call {@code initTransactions()}. That bumps the
 *       producer epoch for the id: any other instance's producer is fenced, and its open
 *       transaction, if any, is aborted before {@code initTransactions()} returns. From then on, the
 *       only producer that can commit to the topic is ours, until someone fences us.
 *   <li>Read the topic's end offset (read_committed, i.e. the last stable offset) and wait until
 *       our reader has applied everything up to it, so the state includes every committed write.
 *   <li>Validate and compute the write against that state (next id, next version, compatibility).
 *   <li>Produce its records in a transaction and commit.
 *   <li>Wait until the reader has applied our records, then answer.
 * </ol>
 *
 * If another instance called {@code initTransactions()} after us, it fenced us and the commit fails
 * with {@link ProducerFencedException} / {@link InvalidProducerEpochException} (or
 * {@link InvalidTxnStateException} when our open transaction was aborted under us): nothing we decided
 * on a possibly stale state reaches the log. We close the producer and retry the whole write from
 * step 2 (which fences the other instance in turn), with jittered backoff so two busy instances do
 * not keep fencing each other, up to {@code kafkastore.write.max.retries} times within
 * {@code kafkastore.timeout.ms}; then the write fails with 50001/50002.
 *
 * <p>Invariant: a transaction commits only if no other producer initialized since our own
 * {@code initTransactions()}, and everything committed before that is in our state before we
 * decide. So the log holds a total order of writes, each decided against all earlier ones, and
 * every instance replaying the log reaches the same state: they agree on ids and versions.
 *
 * <p>The lock only binds writers that use the transactional id: a non-transactional writer on the
 * same topic (a Confluent registry, say) is not excluded, though its records are read normally.
 */
public final class KafkaStore implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(KafkaStore.class);
  private static final Duration POLL = Duration.ofMillis(200);

  private final RegistryConfig config;
  private final SharedState state;
  private final TopicPartition partition;
  private final String instance = UUID.randomUUID().toString().substring(0, 8);
  private final Admin admin;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Thread reader;
  private final Set<String> warnedCauses = ConcurrentHashMap.newKeySet();
  private final AtomicLong skippedRecords = new AtomicLong();

  /** Next offset the reader will apply; guarded by itself. */
  private final Object appliedMonitor = new Object();
  private long appliedOffset;

  private final Object writeLock = new Object();
  private volatile KafkaProducer<byte[], byte[]> producer;
  private volatile boolean closed;
  /** Released by close(), so back-off sleeps end at once without interrupting Kafka clients. */
  private final CountDownLatch closing = new CountDownLatch(1);

  private KafkaStore(RegistryConfig config, SharedState state) {
    this.config = config;
    this.state = state;
    this.partition = new TopicPartition(config.topic(), 0);
    this.admin = Admin.create(adminProperties());
    this.consumer = new KafkaConsumer<>(consumerProperties());
    this.reader = new Thread(this::readLoop, "registry-store-reader-" + config.topic());
    this.reader.setDaemon(true);
  }

  /**
   * Creates the topic if needed, starts the reader and returns once the topic is replayed up to
   * its end offset as of start-up.
   */
  public static KafkaStore start(RegistryConfig config, SharedState state) {
    KafkaStore store = new KafkaStore(config, state);
    try {
      long deadline = System.nanoTime() + config.initTimeout().toNanos();
      store.ensureTopic(deadline);
      store.consumer.assign(List.of(store.partition));
      store.consumer.seekToBeginning(List.of(store.partition));
      store.reader.start();
      long start = System.nanoTime();
      long end = store.endOffset(deadline);
      store.awaitApplied(end, deadline, "replaying " + config.topic());
      log.info("Replayed {} up to offset {} in {} ms", config.topic(), end,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
      return store;
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
  }

  // ----------------------------------------------------------------------------------- topic

  private void ensureTopic(long deadline) {
    String topic = config.topic();
    try {
      TopicDescription description = describeTopic(topic, deadline);
      if (description == null) {
        int brokers = admin.describeCluster().nodes().get(remainingMs(deadline), TimeUnit.MILLISECONDS).size();
        short rf = (short) Math.max(1, Math.min(config.topicReplicationFactor(), brokers));
        NewTopic newTopic = new NewTopic(topic, 1, rf)
            .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
        try {
          admin.createTopics(List.of(newTopic)).all().get(remainingMs(deadline), TimeUnit.MILLISECONDS);
          log.info("Created schema topic {} (1 partition, replication factor {}, compacted)", topic, rf);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw e;
          }
          // Another instance created it at the same time.
        }
        description = describeTopic(topic, deadline);
        if (description == null) {
          throw new StoreException("Schema topic " + topic + " does not exist after creating it");
        }
      }
      if (description.partitions().size() != 1) {
        throw new StoreException("The schema topic " + topic + " should have only 1 partition but has "
            + description.partitions().size());
      }
      ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      Config topicConfig = admin.describeConfigs(List.of(resource)).all()
          .get(remainingMs(deadline), TimeUnit.MILLISECONDS).get(resource);
      ConfigEntry policy = topicConfig.get(TopicConfig.CLEANUP_POLICY_CONFIG);
      if (policy == null || !TopicConfig.CLEANUP_POLICY_COMPACT.equals(policy.value())) {
        throw new StoreException("The retention policy of the schema topic " + topic + " is incorrect: "
            + (policy == null ? "unset" : policy.value()) + ". You must configure the topic to 'compact' cleanup policy");
      }
    } catch (ExecutionException e) {
      throw new StoreException("Cannot check or create schema topic " + topic + " on "
          + String.join(",", config.bootstrapServers()) + ": " + e.getCause(), e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new StoreTimeoutException("Timed out checking or creating schema topic " + topic + " on "
          + String.join(",", config.bootstrapServers()), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException("Interrupted while checking schema topic " + topic, e);
    }
  }

  private TopicDescription describeTopic(String topic, long deadline)
      throws ExecutionException, InterruptedException, java.util.concurrent.TimeoutException {
    try {
      return admin.describeTopics(List.of(topic)).allTopicNames()
          .get(remainingMs(deadline), TimeUnit.MILLISECONDS).get(topic);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        return null;
      }
      throw e;
    }
  }

  // ----------------------------------------------------------------------------------- reads

  private void readLoop() {
    long backoffMs = 100;
    try {
      while (!closed) {
        try {
          ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL);
          if (!records.isEmpty()) {
            apply(records);
          }
          long position = consumer.position(partition, config.timeout());
          publishApplied(position);
          backoffMs = 100;
        } catch (WakeupException | InterruptException e) {
          if (closed) {
            return;
          }
        } catch (KafkaException e) {
          // The reader must survive broker outages and the like; writes time out meanwhile.
          warnOnce("reader error " + e.getClass().getSimpleName(),
              "Schema store reader on " + config.topic() + " failed, retrying: " + e);
          sleepQuietly(backoffMs);
          backoffMs = Math.min(backoffMs * 2, 5_000);
        }
      }
    } finally {
      try {
        consumer.close(CloseOptions.timeout(Duration.ofSeconds(1)));
      } catch (RuntimeException e) {
        log.debug("Closing the store consumer failed", e);
      }
    }
  }

  private void apply(ConsumerRecords<byte[], byte[]> records) {
    // Decode (JSON, Avro parsing) outside the state lock; apply in log order under it.
    List<StoreCodec.Decoded.Apply> updates = new ArrayList<>(records.count());
    for (ConsumerRecord<byte[], byte[]> record : records) {
      StoreCodec.Decoded decoded;
      try {
        decoded = StoreCodec.decode(record.key(), record.value());
      } catch (RuntimeException e) {
        decoded = new StoreCodec.Decoded.Skip("undecodable record " + e.getClass().getSimpleName(), e.toString());
      }
      if (decoded instanceof StoreCodec.Decoded.Apply a) {
        updates.add(a);
      } else if (decoded instanceof StoreCodec.Decoded.Skip skip) {
        skip(skip.cause(), record.offset(), skip.detail());
      }
    }
    state.update(s -> {
      for (StoreCodec.Decoded.Apply update : updates) {
        try {
          update.mutation().accept(s);
        } catch (RuntimeException e) {
          skip("record rejected by state " + e.getClass().getSimpleName(), -1, e.toString());
        }
      }
    });
  }

  private void skip(String cause, long offset, String detail) {
    skippedRecords.incrementAndGet();
    warnOnce(cause, "Skipping record in " + config.topic() + " at offset " + offset + " (" + cause + "): "
        + detail + "; further records with this cause are skipped without warning");
  }

  private void warnOnce(String cause, String message) {
    if (warnedCauses.add(cause)) {
      log.warn(message);
    } else {
      log.debug(message);
    }
  }

  private void publishApplied(long position) {
    synchronized (appliedMonitor) {
      if (position > appliedOffset) {
        appliedOffset = position;
        appliedMonitor.notifyAll();
      }
    }
  }

  private void awaitApplied(long offset, long deadline, String what) {
    synchronized (appliedMonitor) {
      while (appliedOffset < offset) {
        if (closed) {
          throw new StoreException("Schema store is closed");
        }
        long remaining = deadline - System.nanoTime();
        if (remaining <= 0) {
          throw new StoreTimeoutException("Timed out " + what + ": reader at offset " + appliedOffset
              + ", waiting for " + offset);
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(appliedMonitor, remaining);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new StoreException("Interrupted while " + what, e);
        }
      }
    }
  }

  /** The last stable offset: everything before it is committed (or aborted) and readable. */
  private long endOffset(long deadline) {
    try {
      return admin.listOffsets(Map.of(partition, OffsetSpec.latest()),
              new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
          .partitionResult(partition).get(remainingMs(deadline), TimeUnit.MILLISECONDS).offset();
    } catch (ExecutionException e) {
      throw new StoreException("Cannot read the end offset of " + config.topic() + ": " + e.getCause(), e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new StoreTimeoutException("Timed out reading the end offset of " + config.topic(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException("Interrupted while reading the end offset of " + config.topic(), e);
    }
  }

  // ---------------------------------------------------------------------------------- writes

  /**
   * Runs one write under the cross-instance lock described in the class comment. The planner is
   * called with the caught-up state (under its read lock) and may throw to refuse the write; its
   * exceptions propagate unchanged.
   *
   * @throws StoreTimeoutException if the write did not complete within {@code kafkastore.timeout.ms}
   * @throws StoreException if Kafka failed or we kept losing the lock
   */
  public <T> T write(Function<RegistryState, WritePlan<T>> planner) {
    long deadline = System.nanoTime() + config.timeout().toNanos();
    synchronized (writeLock) {
      Exception last = null;
      for (int attempt = 0; attempt <= config.writeMaxRetries(); attempt++) {
        if (closed) {
          throw new StoreException("Schema store is closed");
        }
        if (attempt > 0) {
          backoff(attempt, deadline);
        }
        KafkaProducer<byte[], byte[]> p;
        try {
          p = lockedProducer();
          awaitApplied(endOffset(deadline), deadline, "catching up with " + config.topic());
        } catch (KafkaException | IllegalStateException e) {
          last = failed(e, attempt, deadline);
          continue;
        }
        // Decide against the caught-up state. Refusals (RestError...) propagate to the caller.
        WritePlan<T> plan = state.read(planner);
        if (plan.records().isEmpty()) {
          return plan.result();
        }
        long lastOffset;
        try {
          lastOffset = commit(p, plan);
        } catch (KafkaException | IllegalStateException e) {
          last = failed(e, attempt, deadline);
          continue;
        }
        awaitApplied(lastOffset + 1, deadline, "reading back our write to " + config.topic());
        return plan.result();
      }
      throw new StoreException("Write to " + config.topic() + " failed after " + (config.writeMaxRetries() + 1)
          + " attempts: " + last, last);
    }
  }

  /** Produces the plan's records in one transaction; returns the offset of the last one. */
  private long commit(KafkaProducer<byte[], byte[]> p, WritePlan<?> plan) {
    p.beginTransaction();
    List<Future<RecordMetadata>> sent = new ArrayList<>(plan.records().size());
    for (WritePlan.Record r : plan.records()) {
      sent.add(p.send(new ProducerRecord<>(config.topic(), 0, r.key(), r.value())));
    }
    p.commitTransaction();
    long lastOffset = -1;
    try {
      for (Future<RecordMetadata> f : sent) {
        // Already complete: commitTransaction() flushed and succeeded.
        lastOffset = Math.max(lastOffset, f.get().offset());
      }
    } catch (ExecutionException e) {
      throw e.getCause() instanceof KafkaException k ? k : new KafkaException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptException(e);
    }
    return lastOffset;
  }

  /**
   * Classifies a failed attempt: rethrows what must not be retried, otherwise drops the producer
   * (a fenced or failed producer cannot be reused) and returns the cause for the final error.
   */
  private Exception failed(RuntimeException e, int attempt, long deadline) {
    discardProducer();
    if (closed) {
      throw new StoreException("Schema store is closed", e);
    }
    if (e instanceof InterruptException) {
      throw new StoreException("Interrupted while writing to " + config.topic(), e);
    }
    if (e instanceof StoreException se) {
      throw se;
    }
    if (e instanceof ProducerFencedException || e instanceof InvalidProducerEpochException
        || e instanceof InvalidTxnStateException) {
      // Another instance took the write lock after us (its initTransactions() fenced our producer
      // and aborted our open transaction): nothing of ours was committed.
      log.debug("Write to {} fenced by another instance (attempt {}), retrying", config.topic(), attempt + 1);
    } else if (e instanceof org.apache.kafka.common.errors.TimeoutException) {
      if (System.nanoTime() >= deadline) {
        throw new StoreTimeoutException("Write to " + config.topic() + " timed out", e);
      }
      log.debug("Write to {} timed out (attempt {}), retrying", config.topic(), attempt + 1);
    } else {
      log.warn("Write to {} failed (attempt {}), retrying with a new producer: {}", config.topic(), attempt + 1, e.toString());
    }
    return e;
  }

  /** A producer that holds the write lock, i.e. has called initTransactions() (fencing others). */
  private KafkaProducer<byte[], byte[]> lockedProducer() {
    KafkaProducer<byte[], byte[]> p = producer;
    if (p == null) {
      p = new KafkaProducer<>(producerProperties());
      try {
        p.initTransactions();
      } catch (RuntimeException e) {
        p.close(Duration.ZERO);
        throw e;
      }
      producer = p;
    }
    return p;
  }

  private void discardProducer() {
    KafkaProducer<byte[], byte[]> p = producer;
    producer = null;
    if (p != null) {
      try {
        p.close(Duration.ZERO);
      } catch (RuntimeException e) {
        log.debug("Closing a fenced producer failed", e);
      }
    }
  }

  private void backoff(int attempt, long deadline) {
    long capMs = Math.min(1_000, 20L << Math.min(attempt, 6));
    long sleepMs = ThreadLocalRandom.current().nextLong(capMs / 4, capMs + 1);
    long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
    if (remainingMs <= 0) {
      throw new StoreTimeoutException("Write to " + config.topic() + " timed out after " + attempt
          + " attempts (lost the write lock to another instance)");
    }
    sleepQuietly(Math.min(sleepMs, remainingMs));
  }

  // --------------------------------------------------------------------------------- clients

  private Map<String, Object> common(String role) {
    Map<String, Object> props = new HashMap<>(config.kafkaProperties());
    props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, String.join(",", config.bootstrapServers()));
    // Unique per instance and role: several registries may run in one JVM (tests, `peregrine up`).
    Object base = props.getOrDefault(CommonClientConfigs.CLIENT_ID_CONFIG, "peregrine-registry");
    props.put(CommonClientConfigs.CLIENT_ID_CONFIG, base + "-" + role + "-" + config.topic() + "-" + instance);
    return props;
  }

  private Map<String, Object> adminProperties() {
    Map<String, Object> props = common("admin");
    props.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) Math.max(config.timeout().toMillis(), 1_000));
    props.putIfAbsent(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.max(config.timeout().toMillis(), 1_000));
    return props;
  }

  private Map<String, Object> consumerProperties() {
    Map<String, Object> props = common("reader");
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    // Writers wait for the reader to see their commit; keep the broker from parking fetches long.
    props.putIfAbsent(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
    return props;
  }

  private Map<String, Object> producerProperties() {
    Map<String, Object> props = common("writer");
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, config.transactionalId());
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 0);
    int timeoutMs = (int) Math.max(config.timeout().toMillis(), 1_000);
    props.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeoutMs);
    props.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, timeoutMs);
    props.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, timeoutMs + 1_000);
    // initTransactions() of a fencing instance retries CONCURRENT_TRANSACTIONS until the fenced
    // transaction is aborted; retry quickly.
    props.putIfAbsent(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 20);
    props.putIfAbsent(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 60_000);
    return props;
  }

  // --------------------------------------------------------------------------------- misc

  /** Records skipped as unusable since start (foreign keytypes, corrupt JSON...). */
  public long skippedRecords() {
    return skippedRecords.get();
  }

  private static long remainingMs(long deadline) {
    return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
  }

  private void sleepQuietly(long ms) {
    try {
      closing.await(ms, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    closed = true;
    closing.countDown();
    synchronized (appliedMonitor) {
      appliedMonitor.notifyAll();
    }
    discardProducer();
    if (reader.isAlive()) {
      consumer.wakeup();
      try {
        reader.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    } else {
      try {
        consumer.close(CloseOptions.timeout(Duration.ZERO));
      } catch (RuntimeException e) {
        log.debug("Closing the store consumer failed", e);
      }
    }
    try {
      admin.close(Duration.ofSeconds(1));
    } catch (RuntimeException e) {
      log.debug("Closing the store admin client failed", e);
    }
  }
}
