package io.peregrine.agent.collect;

import io.peregrine.agent.AgentContext;
import io.peregrine.schema.NodeId;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.ToLongFunction;

/**
 * What every raw record of this agent carries: the node, the agent run and a per-topic sequence
 * number (see {@link AgentContext#nextSeq}). Records are numbered when they are built, and the
 * collectors emit them in that order, so seq is strictly increasing on each topic.
 */
public final class RecordStamp {

  private final NodeId node;
  private final String agentRunId;
  private final ToLongFunction<String> sequences;
  private final long intervalMs;

  public RecordStamp(NodeId node, String agentRunId, ToLongFunction<String> sequences, long intervalMs) {
    this.node = Objects.requireNonNull(node, "node");
    this.agentRunId = Objects.requireNonNull(agentRunId, "agentRunId");
    this.sequences = Objects.requireNonNull(sequences, "sequences");
    this.intervalMs = intervalMs;
  }

  /** Numbers records from 0 on each topic, for tests and benchmarks. */
  public static RecordStamp counting(NodeId node, String agentRunId, long intervalMs) {
    Map<String, long[]> counters = new HashMap<>();
    return new RecordStamp(node, agentRunId, topic -> counters.computeIfAbsent(topic, t -> new long[1])[0]++,
        intervalMs);
  }

  /** The node; one shared instance, never modified. */
  public NodeId node() {
    return node;
  }

  public String agentRunId() {
    return agentRunId;
  }

  public long nextSeq(String topic) {
    return sequences.applyAsLong(topic);
  }

  public long intervalMs() {
    return intervalMs;
  }

  /** The key of records on the node-keyed raw topics. */
  public String nodeKey() {
    return node.getHostname();
  }
}
