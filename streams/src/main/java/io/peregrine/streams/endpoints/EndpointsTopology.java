package io.peregrine.streams.endpoints;

import io.peregrine.schema.topic.Topics;
import io.peregrine.streams.PipelineCounters;
import io.peregrine.streams.StoreNames;
import io.peregrine.streams.TopologySettings;
import io.peregrine.streams.dlq.EventValidator;
import io.peregrine.streams.dlq.TableRejects;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.state.Stores;

/**
 * Endpoint ownership: global stores over {@code peregrine.raw.listens} (who listens where) and
 * {@code peregrine.raw.node-metrics} (node addresses, zones, purchase options) that keep the
 * {@link EndpointIndex} every task resolves destinations with. Global, because a destination may
 * be on any node while events are partitioned by the observing node; both topics are small (one
 * record per listening socket, one per node and interval). The stores are persistent so that a
 * restart replays only what came after the last checkpoint.
 */
public final class EndpointsTopology {

    private EndpointsTopology() {
    }

    public static void build(StreamsBuilder builder, TopologySettings settings, Topics topics, EndpointIndex index,
                             PipelineCounters counters, TableRejects rejects) {
        var listenDeserializer = topics.rawListens().valueSerde().deserializer();
        var nodeDeserializer = topics.rawNodeMetrics().valueSerde().deserializer();
        EventValidator validator = new EventValidator(settings.maxFutureSkew().toMillis());
        builder.addGlobalStore(
                Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(StoreNames.ENDPOINTS_LISTENS),
                        Serdes.String(), Serdes.ByteArray()).withLoggingDisabled().withCachingDisabled(),
                topics.rawListens().name(),
                Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("endpoints-listens-global"),
                () -> GlobalIndexProcessor.listens(StoreNames.ENDPOINTS_LISTENS, listenDeserializer, validator, index,
                        counters, rejects));
        builder.addGlobalStore(
                Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(StoreNames.ENDPOINTS_NODES),
                        Serdes.String(), Serdes.ByteArray()).withLoggingDisabled().withCachingDisabled(),
                topics.rawNodeMetrics().name(),
                Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("endpoints-nodes-global"),
                () -> GlobalIndexProcessor.nodes(StoreNames.ENDPOINTS_NODES, nodeDeserializer, validator, index,
                        counters, rejects));
    }
}
