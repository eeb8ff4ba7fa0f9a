package io.peregrine.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.peregrine.schema.json.AvroJson;
import io.peregrine.schema.registry.SchemaRegistryClient;
import io.peregrine.schema.serde.AvroDeserializer;
import io.peregrine.schema.serde.MalformedRecordException;
import io.peregrine.schema.serde.WireFormat;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Prints a topic's records decoded through the registry, one JSON object per line. Joins no
 * consumer group and commits nothing: tailing never disturbs the pipeline's consumers.
 */
@Command(name = "tail", mixinStandardHelpOptions = true,
        description = "Print a topic's records as JSON, one per line (Avro decoded through the registry).")
final class TailCommand implements Callable<Integer> {

    private static final JsonFactory JSON = new JsonFactory();

    @Mixin
    ConnectionOptions connection;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "TOPIC", description = "Topic to read, e.g. peregrine.raw.l7.")
    String topic;

    @Option(names = "--from-beginning", description = "Start at the oldest record instead of new ones only.")
    boolean fromBeginning;

    @Option(names = "--max", paramLabel = "N", description = "Stop after N records.")
    Long max;

    @Option(names = "--idle-timeout", paramLabel = "SECONDS",
            description = "Stop when no record came for this long (default: wait forever).")
    Long idleTimeoutSeconds;

    @Option(names = "--metadata", description = "Wrap each value with topic, partition, offset, timestamp and key.")
    boolean metadata;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String registryUrl = connection.schemaRegistryUrl();
        SchemaRegistryClient client = SchemaRegistryClient.create(connection.registryConfig(registryUrl));
        AvroDeserializer<Object> decoder = AvroDeserializer.generic(client);
        boolean keysAreBytes = TopicsCommand.catalog(connection, 1).dlq().name().equals(topic);

        Map<String, Object> config = connection.kafkaConfig(connection.bootstrapServers());
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "peregrine-tail");
        long printed = 0;
        long skipped = 0;
        try (KafkaConsumer<byte[], byte[]> consumer =
                     new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30));
            if (partitions == null || partitions.isEmpty()) {
                err.println("peregrine tail: topic " + topic + " does not exist (see `peregrine topics list`)");
                return 2;
            }
            List<TopicPartition> tps = partitions.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(tps);
            if (fromBeginning) {
                consumer.seekToBeginning(tps);
            } else {
                consumer.seekToEnd(tps);
            }
            AtomicBoolean done = new AtomicBoolean();
            Thread main = Thread.currentThread();
            Thread hook = new Thread(() -> {
                done.set(true);
                consumer.wakeup();
                try {
                    main.join(5000);
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
            }, "tail-stop");
            Runtime.getRuntime().addShutdownHook(hook);
            long lastRecord = System.nanoTime();
            try {
                while (!done.get() && (max == null || printed < max)) {
                    var records = consumer.poll(Duration.ofMillis(200));
                    if (records.isEmpty()) {
                        if (idleTimeoutSeconds != null
                                && System.nanoTime() - lastRecord > Duration.ofSeconds(idleTimeoutSeconds).toNanos()) {
                            break;
                        }
                        continue;
                    }
                    lastRecord = System.nanoTime();
                    for (ConsumerRecord<byte[], byte[]> r : records) {
                        if (max != null && printed >= max) {
                            break;
                        }
                        try {
                            Object value = decoder.deserialize(r, false);
                            out.println(render(r, value, keysAreBytes, decoder));
                            printed++;
                        } catch (MalformedRecordException e) {
                            err.println("peregrine tail: skipped " + e.getMessage());
                            skipped++;
                        }
                    }
                    out.flush();
                }
            } catch (WakeupException e) {
                // Ctrl-C: stop quietly.
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException ignored) {
                    // Already shutting down.
                }
            }
        }
        out.flush();
        if (skipped > 0) {
            err.println("peregrine tail: " + skipped + " malformed record(s) skipped");
        }
        err.flush();
        return 0;
    }

    private String render(ConsumerRecord<byte[], byte[]> r, Object value, boolean keysAreBytes,
                          AvroDeserializer<Object> decoder) throws IOException {
        if (!metadata) {
            return AvroJson.toJson(value);
        }
        StringWriter sw = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(sw)) {
            g.writeStartObject();
            g.writeStringField("topic", r.topic());
            g.writeNumberField("partition", r.partition());
            g.writeNumberField("offset", r.offset());
            g.writeStringField("timestamp", Instant.ofEpochMilli(r.timestamp()).toString());
            g.writeFieldName("key");
            writeKey(g, r, keysAreBytes, decoder);
            g.writeFieldName("value");
            g.writeRawValue(AvroJson.toJson(value));
            g.writeEndObject();
        }
        return sw.toString();
    }

    /** Our keys are UTF-8 (the DLQ's are opaque bytes); a foreign topic's may be Avro. */
    private static void writeKey(JsonGenerator g, ConsumerRecord<byte[], byte[]> r, boolean keysAreBytes,
                                 AvroDeserializer<Object> decoder) throws IOException {
        byte[] key = r.key();
        if (key == null) {
            g.writeNull();
        } else if (keysAreBytes) {
            g.writeString(Base64.getEncoder().encodeToString(key));
        } else if (key.length >= WireFormat.HEADER_SIZE && key[0] == WireFormat.MAGIC_BYTE) {
            try {
                g.writeRawValue(AvroJson.toJson(decoder.deserialize(r, true)));
            } catch (SerializationException e) {
                g.writeString(Base64.getEncoder().encodeToString(key));
            }
        } else {
            g.writeString(new String(key, StandardCharsets.UTF_8));
        }
    }
}
