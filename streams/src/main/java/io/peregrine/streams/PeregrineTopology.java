package io.peregrine.streams;

import io.peregrine.schema.registry.SchemaRegistryClient;
import io.peregrine.schema.topic.Topics;
import io.peregrine.streams.dlq.TableRejects;
import io.peregrine.streams.endpoints.EndpointIndex;
import io.peregrine.streams.endpoints.EndpointsTopology;
import io.peregrine.streams.servicemap.ServiceMapTopology;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;

/**
 * The whole Peregrine Streams application: endpoint ownership, then the service map, SLIs and app
 * usage. Pure: builds nodes and stores, starts nothing; {@link StreamsApp} runs the result and
 * tests drive it with {@code TopologyTestDriver}.
 */
public final class PeregrineTopology {

    private PeregrineTopology() {
    }

    /** Adds everything to {@code builder}; returns the endpoint index the topology's processors share. */
    public static EndpointIndex build(StreamsBuilder builder, TopologySettings settings, Topics topics,
                                      SchemaRegistryClient registry, PipelineCounters counters,
                                      TableRejects tableRejects) {
        EndpointIndex index = new EndpointIndex();
        EndpointsTopology.build(builder, settings, topics, index, counters, tableRejects);
        ServiceMapTopology.build(builder, settings, topics, registry, index, counters);
        return index;
    }

    /** The built topology. */
    public static Topology topology(TopologySettings settings, Topics topics, SchemaRegistryClient registry,
                                    PipelineCounters counters, TableRejects tableRejects) {
        StreamsBuilder builder = new StreamsBuilder();
        build(builder, settings, topics, registry, counters, tableRejects);
        return builder.build();
    }
}
