package io.peregrine.agent;

import io.peregrine.agent.cgroup.ContainerMetadata;
import io.peregrine.agent.collect.CachedCloudMetadata;
import io.peregrine.agent.collect.CloudMetadataSource;
import io.peregrine.agent.collect.HostCollectors;
import io.peregrine.agent.collect.InstanceMetadataClient;
import io.peregrine.agent.collect.ScanProblems;
import io.peregrine.agent.container.RuntimeContainerMetadata;
import io.peregrine.agent.procfs.ProblemCounters;
import java.time.Duration;
import java.util.List;

/**
 * The collectors the agent runs on a host: {@code Agent.start(config, home, Collectors::forHost)}.
 * See {@link HostCollectors} for what each one emits.
 */
public final class Collectors {

    /** Timeouts of the instance metadata service: it answers in milliseconds when it exists. */
    static final Duration METADATA_CONNECT_TIMEOUT = Duration.ofSeconds(1);
    static final Duration METADATA_REQUEST_TIMEOUT = Duration.ofSeconds(2);
    static final Duration METADATA_REFRESH = Duration.ofHours(1);
    static final Duration METADATA_RETRY = Duration.ofMinutes(5);

    private Collectors() {
    }

    /** The procfs collectors of the host described by the context's configuration. */
    public static List<Collector> forHost(AgentContext context) {
        AgentConfig config = context.config();
        CloudMetadataSource cloud = CloudMetadataSource.NONE;
        if (config.getBoolean(AgentConfig.CLOUD_METADATA_ENABLED)) {
            InstanceMetadataClient client = new InstanceMetadataClient(InstanceMetadataClient.DEFAULT_BASE,
                    config.sysRoot(), METADATA_CONNECT_TIMEOUT, METADATA_REQUEST_TIMEOUT);
            cloud = CachedCloudMetadata.start(client::fetch, METADATA_REFRESH, METADATA_RETRY);
        }
        // Runs on the scan thread; its failures are counted and logged once like the scanner's.
        ContainerMetadata containers = RuntimeContainerMetadata.forHost(config.hostRoot(),
                new ScanProblems(new ProblemCounters(), context.metrics()));
        return HostCollectors.create(context, containers, cloud);
    }
}
