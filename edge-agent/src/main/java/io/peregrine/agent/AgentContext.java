package io.peregrine.agent;

import io.peregrine.agent.metrics.AgentMetrics;
import io.peregrine.schema.topic.Topics;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What every collector shares: settings, the topic catalog, metrics, and the identity of this
 * agent run. {@link #nextSeq} numbers each topic's records from 0 within the run, so that
 * (node, agent_run_id, seq) is unique and a gap shows records the agent dropped.
 */
public final class AgentContext {

    private final AgentConfig config;
    private final Topics topics;
    private final AgentMetrics metrics;
    private final String nodeName;
    private final String agentRunId = UUID.randomUUID().toString();
    private final Map<String, AtomicLong> sequences = new ConcurrentHashMap<>();
    private final Map<String, Object> sequenceLocks = new ConcurrentHashMap<>();

    public AgentContext(AgentConfig config, Topics topics, AgentMetrics metrics, String nodeName) {
        this.config = config;
        this.topics = topics;
        this.metrics = metrics;
        this.nodeName = nodeName;
    }

    public AgentConfig config() {
        return config;
    }

    public Topics topics() {
        return topics;
    }

    public AgentMetrics metrics() {
        return metrics;
    }

    /** This node's name in every record. */
    public String nodeName() {
        return nodeName;
    }

    public String agentRunId() {
        return agentRunId;
    }

    public long nextSeq(String topic) {
        AtomicLong seq = sequences.get(topic);  // get first: computeIfAbsent locks its bin on every call
        return (seq != null ? seq : sequences.computeIfAbsent(topic, t -> new AtomicLong())).getAndIncrement();
    }

    /**
     * The lock to hold while numbering records of {@code topic} and emitting them. Records are
     * numbered when built and queued when emitted; where two threads publish to one topic (the scan
     * thread's procfs connections and lifecycle, the eBPF sensor's thread), holding it over both
     * steps keeps the queue, hence Kafka, in seq order, which consumers' duplicate detection
     * relies on.
     */
    public Object sequenceLock(String topic) {
        return sequenceLocks.computeIfAbsent(topic, t -> new Object());
    }
}
