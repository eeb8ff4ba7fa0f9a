package io.peregrine.streams.servicemap;

import io.peregrine.schema.DeadLetter;
import io.peregrine.schema.ServiceEdge;
import io.peregrine.schema.registry.SchemaRegistryClient;
import io.peregrine.schema.topic.Topic;
import io.peregrine.schema.topic.Topics;
import io.peregrine.streams.PipelineCounters;
import io.peregrine.streams.StoreNames;
import io.peregrine.streams.TopologySettings;
import io.peregrine.streams.endpoints.EndpointIndex;
import io.peregrine.streams.internal.CommitHook;
import io.peregrine.streams.internal.FixedSubjectSerde;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The service map, SLIs and app usage, from raw L7, connection and app-metrics events:
 *
 * <pre>
 *  raw.l7 ─┐                                   (per raw partition)                  (per server / app)
 *  raw.connections ─┼─ raw-events-source ─ ingest ─┬─ partials-repartition ─ windows ─┬─ service-map
 *  raw.app-metrics ─┘   decode, validate, dedup,   │  (by server app id;            ├─ topology
 *                       resolve, pre-aggregate      │   ticks to all partitions)     ├─ sli
 *                                                   └─ dlq                            └─ app-usage
 * </pre>
 *
 * A pure builder: it adds nodes and stores to {@code builder} and nothing else, so tests build
 * exactly this topology. Every processor, store and internal topic is named.
 */
public final class ServiceMapTopology {

    /** Name of the repartition topic: {@code <application.id>-partials-repartition}. */
    public static final String PARTIALS_REPARTITION = "partials";

    private ServiceMapTopology() {
    }

    /**
     * @param registry where the raw L7 decoder looks up writer schemas (the serdes in {@code topics}
     *                 use the same registry)
     */
    public static void build(StreamsBuilder builder, TopologySettings settings, Topics topics,
                             SchemaRegistryClient registry, EndpointIndex index, PipelineCounters counters) {
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(StoreNames.INGEST_STATE),
                Serdes.String(), Serdes.ByteArray()).withCachingDisabled());
        builder.addStateStore(CommitHook.builder(StoreNames.INGEST_COMMIT_HOOK));

        KStream<byte[], byte[]> raw = builder.stream(
                List.of(topics.rawL7().name(), topics.rawConnections().name(), topics.rawAppMetrics().name()),
                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("raw-events-source"));
        KStream<Object, Object> ingested = raw.process(
                () -> new IngestProcessor(settings, topics, registry, index, counters, StoreNames.INGEST_STATE,
                        StoreNames.INGEST_COMMIT_HOOK),
                Named.as("ingest"), StoreNames.INGEST_STATE, StoreNames.INGEST_COMMIT_HOOK);

        Map<String, KStream<Object, Object>> routed = ingested.split(Named.as("ingest-"))
                .branch((k, v) -> v instanceof DeadLetter, Branched.as("dlq"))
                .defaultBranch(Branched.as("partials"));
        @SuppressWarnings({"unchecked", "rawtypes"})
        KStream<byte[], DeadLetter> dlq = (KStream) routed.get("ingest-dlq");
        dlq.to(topics.dlq().name(), Produced.with(Serdes.ByteArray(), topics.dlq().valueSerde())
                .withName("ingest-dlq-sink"));
        @SuppressWarnings({"unchecked", "rawtypes"})
        KStream<String, Partial> partials = (KStream) routed.get("ingest-partials");

        KStream<String, Partial> byServer = partials.repartition(
                Repartitioned.<String, Partial>as(PARTIALS_REPARTITION)
                        .withKeySerde(Serdes.String())
                        .withValueSerde(Partial.serde())
                        .withStreamPartitioner(new PartialPartitioner()));

        addWindowStores(builder, settings, topics);
        KStream<String, Output> outputs = byServer.process(
                () -> new WindowProcessor(settings, index, counters),
                Named.as("windows"),
                StoreNames.WINDOWS_OPEN, StoreNames.WINDOWS_CLOCK, StoreNames.WINDOWS_COMMIT_HOOK,
                StoreNames.SERVICE_MAP_WINDOWS, StoreNames.SLI_WINDOWS, StoreNames.APP_USAGE_WINDOWS,
                StoreNames.TOPOLOGY_EDGES, StoreNames.APPS);

        Map<String, KStream<String, Output>> out = outputs.split(Named.as("windows-out-"))
                .branch((k, v) -> v.kind() == Output.Kind.SERVICE_MAP, Branched.as("service-map"))
                .branch((k, v) -> v.kind() == Output.Kind.TOPOLOGY, Branched.as("topology"))
                .branch((k, v) -> v.kind() == Output.Kind.SLI, Branched.as("sli"))
                .defaultBranch(Branched.as("app-usage"));
        sink(out.get("windows-out-service-map"), topics.serviceMap(), "service-map");
        sink(out.get("windows-out-topology"), topics.topology(), "topology");
        sink(out.get("windows-out-sli"), topics.sli(), "sli");
        sink(out.get("windows-out-app-usage"), topics.appUsage(), "app-usage");
    }

    @SuppressWarnings("unchecked")
    private static <V> void sink(KStream<String, Output> stream, Topic<String, V> topic, String name) {
        stream.mapValues(o -> (V) o.value(), Named.as(name + "-unwrap"))
                .to(topic.name(), Produced.with(topic.keySerde(), topic.valueSerde()).withName(name + "-sink"));
    }

    private static void addWindowStores(StreamsBuilder builder, TopologySettings settings, Topics topics) {
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(StoreNames.WINDOWS_OPEN),
                Serdes.Bytes(), Serdes.ByteArray()).withCachingDisabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(StoreNames.WINDOWS_CLOCK),
                Serdes.String(), Serdes.ByteArray()).withCachingDisabled());
        builder.addStateStore(CommitHook.builder(StoreNames.WINDOWS_COMMIT_HOOK));
        builder.addStateStore(windowStore(StoreNames.SERVICE_MAP_WINDOWS, settings, topics.serviceMap()));
        builder.addStateStore(windowStore(StoreNames.SLI_WINDOWS, settings, topics.sli()));
        builder.addStateStore(windowStore(StoreNames.APP_USAGE_WINDOWS, settings, topics.appUsage()));
        StoreBuilder<KeyValueStore<String, ServiceEdge>> topologyStore = Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(StoreNames.TOPOLOGY_EDGES), Serdes.String(),
                FixedSubjectSerde.of(topics.topology().name(), topics.topology().valueSerde())).withCachingDisabled();
        builder.addStateStore(topologyStore);
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(StoreNames.APPS),
                Serdes.String(), Serdes.ByteArray()).withCachingDisabled());
    }

    private static <V> StoreBuilder<WindowStore<String, V>> windowStore(String name, TopologySettings settings,
                                                                        Topic<String, V> topic) {
        Duration retention = settings.queryRetention().compareTo(settings.windowSize()) < 0
                ? settings.windowSize() : settings.queryRetention();
        Serde<V> values = FixedSubjectSerde.of(topic.name(), topic.valueSerde());
        return Stores.windowStoreBuilder(Stores.persistentWindowStore(name, retention, settings.windowSize(), false),
                Serdes.String(), values).withCachingDisabled();
    }

    /**
     * Partials go to the partition of their routing key (the server or app id), computed exactly
     * as the default partitioner does so that interactive queries find the key's owner with
     * {@code queryMetadataForKey(store, appId, stringSerializer)}; ticks go to every partition.
     */
    static final class PartialPartitioner implements StreamPartitioner<String, Partial> {
        @Override
        public Optional<Set<Integer>> partitions(String topic, String key, Partial value, int numPartitions) {
            if (value instanceof Partial.Tick) {
                return Optional.of(IntStream.range(0, numPartitions).boxed().collect(Collectors.toSet()));
            }
            byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
            return Optional.of(Set.of(Utils.toPositive(Utils.murmur2(bytes)) % numPartitions));
        }
    }

}
