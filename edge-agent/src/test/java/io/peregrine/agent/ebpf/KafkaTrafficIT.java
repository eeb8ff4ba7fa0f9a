package io.peregrine.agent.ebpf;

import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.l7.Decoders;
import io.peregrine.agent.l7.Exchange;
import io.peregrine.agent.l7.ProtocolDecoder;
import io.peregrine.kafka.junit.EmbeddedKafkaExtension;
import io.peregrine.schema.Protocol;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The sensor and the Kafka decoder against a real Apache Kafka broker (the embedded one) and
 * kafka-clients' producer on loopback: 110 produce calls, every eleventh to a topic whose
 * {@code max.message.bytes} its record exceeds, must be 110 Produce exchanges on each side, in
 * order, 100 {@code ok} and 10 {@code MESSAGE_TOO_LARGE}, each no longer than the client measured
 * around its send; and every request the producer counted itself ({@code request-total}: Produce,
 * Metadata, ApiVersions) is one exchange of its client id on each side.
 *
 * <p>One request in flight per connection ({@code max.in.flight.requests.per.connection=1}): with
 * several, the client side pairs by direction change and loses the pairing (README, known limits).
 *
 * <p>Needs root and BTF; skipped without them on a developer machine, failed in CI.
 */
class KafkaTrafficIT {

  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final String CLIENT_ID = "kafka-traffic-it";
  private static final Duration BOUND = Duration.ofSeconds(20);
  private static final Queue<L7Record> l7 = new ConcurrentLinkedQueue<>();
  private static volatile int brokerPort;
  private static EbpfSensor sensor;

  /** What the client did and saw for one send. */
  private record Call(String status, long nanos) {}

  @BeforeAll
  static void startSensor() throws Exception {
    EbpfTestSupport.requireLoader();
    EbpfTestSupport.requireEbpfHost();
    sensor = EbpfTestSupport.startedSensor(Map.of(
        EbpfSensorConfig.IGNORE_OWN_PROCESS, "false",
        EbpfSensorConfig.POLL_MS, "20"), EbpfTestSupport.l7Listener(r -> {
          if (r.serverPort() == brokerPort) {
            l7.add(r);
          }
        }));
  }

  @AfterAll
  static void stopSensor() {
    if (sensor != null) {
      sensor.close();
      assertThat(sensor.badFrames()).isEmpty();
    }
  }

  @Test
  void shouldReportEveryProduceRequestWithItsErrorCode() throws Exception {
    String bootstrap = KAFKA.bootstrapServers();
    brokerPort = Integer.parseInt(bootstrap.substring(bootstrap.lastIndexOf(':') + 1));
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      admin.createTopics(List.of(new NewTopic("traffic-ok", 1, (short) 1),
          new NewTopic("traffic-small", 1, (short) 1).configs(Map.of("max.message.bytes", "1000"))))
          .all().get();
    }
    Map<String, Object> config = Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.CLIENT_ID_CONFIG, CLIENT_ID,
        ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1,
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false,
        ProducerConfig.ACKS_CONFIG, "1",
        ProducerConfig.LINGER_MS_CONFIG, 0,
        ProducerConfig.RETRIES_CONFIG, 0);
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
      sendAll(producer); // unmeasured: the client's code compiled, its error path included
      long from = System.nanoTime();
      double requestsBefore = requestTotal(producer);
      List<Call> truth = sendAll(producer);
      double requests = requestTotal(producer) - requestsBefore;
      long to = System.nanoTime();
      assertThat(truth.stream().filter(c -> !c.status().equals("ok"))).hasSize(10);

      ProtocolDecoder kafka = Decoders.all().forProtocol(Protocol.KAFKA);
      for (L7Record.Side side : L7Record.Side.values()) {
        List<Exchange> produces = new ArrayList<>();
        List<L7Record> produceRecords = new ArrayList<>();
        List<Exchange> all = awaitExchanges(side, from, to, (int) requests, kafka);
        for (L7Record r : ordered(side, from, to)) {
          Exchange e = kafka.decode(r.request(), r.response());
          if (e != null && CLIENT_ID.equals(e.kafka().getClientId()) && e.method().equals("Produce")) {
            produces.add(e);
            produceRecords.add(r);
          }
        }
        assertThat(all).as("%s side: the producer's requests", side).hasSize((int) requests);
        assertThat(produces).extracting(Exchange::status).as("%s side: Produce statuses in order", side)
            .isEqualTo(truth.stream().map(Call::status).toList());
        for (int i = 0; i < truth.size(); i++) {
          long seen = produceRecords.get(i).latencyNanos();
          assertThat(seen).as("%s side, send %d: latency (client measured %d ns)", side, i, truth.get(i).nanos())
              .isPositive().isLessThanOrEqualTo(truth.get(i).nanos() + 1_000_000);
        }
      }
    }
  }

  /** 110 synchronous sends: every eleventh too large for its topic. */
  private static List<Call> sendAll(KafkaProducer<byte[], byte[]> producer) throws InterruptedException {
    List<Call> calls = new ArrayList<>();
    for (int i = 0; i < 110; i++) {
      boolean tooLarge = i % 11 == 10;
      ProducerRecord<byte[], byte[]> record = tooLarge
          ? new ProducerRecord<>("traffic-small", new byte[2_000])
          : new ProducerRecord<>("traffic-ok", ("value " + i).getBytes());
      long t0 = System.nanoTime();
      String status = "ok";
      try {
        producer.send(record).get();
      } catch (ExecutionException e) {
        assertThat(e.getCause()).isInstanceOf(RecordTooLargeException.class);
        status = "MESSAGE_TOO_LARGE";
      }
      calls.add(new Call(status, System.nanoTime() - t0));
    }
    return calls;
  }

  private static double requestTotal(KafkaProducer<?, ?> producer) {
    return producer.metrics().entrySet().stream()
        .filter(e -> e.getKey().name().equals("request-total") && e.getKey().group().equals("producer-metrics"))
        .mapToDouble(e -> (Double) e.getValue().metricValue())
        .sum();
  }

  private static List<L7Record> ordered(L7Record.Side side, long from, long to) {
    return l7.stream()
        .filter(r -> r.side() == side && r.startMonotonicNanos() >= from && r.startMonotonicNanos() <= to)
        .sorted(Comparator.comparingLong(L7Record::startMonotonicNanos))
        .toList();
  }

  /** The exchanges of the producer's client id on {@code side}, once {@code expected} are in (or the bound passed). */
  private static List<Exchange> awaitExchanges(L7Record.Side side, long from, long to, int expected,
      ProtocolDecoder kafka) throws InterruptedException {
    long deadline = System.nanoTime() + BOUND.toNanos();
    List<Exchange> found;
    do {
      Thread.sleep(100);
      found = ordered(side, from, to).stream()
          .map(r -> kafka.decode(r.request(), r.response()))
          .filter(e -> e != null && CLIENT_ID.equals(e.kafka().getClientId()))
          .toList();
    } while (found.size() < expected && System.nanoTime() < deadline);
    Thread.sleep(200); // and no more arrive
    return ordered(side, from, to).stream()
        .map(r -> kafka.decode(r.request(), r.response()))
        .filter(e -> e != null && CLIENT_ID.equals(e.kafka().getClientId()))
        .toList();
  }
}
