package io.peregrine.cli;

import io.peregrine.agent.Agent;
import io.peregrine.agent.AgentConfig;
import io.peregrine.agent.Collectors;
import io.peregrine.kafka.ChildJvm;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The edge agent for this host. */
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = "Run the edge agent: watch this host's processes, sockets and applications and publish to Kafka.")
final class AgentCommand implements Callable<Integer> {

    @Mixin
    ConnectionOptions connection;

    @Spec
    CommandSpec spec;

    @Option(names = "--home", paramLabel = "DIR", description = "State directory (env PEREGRINE_HOME, default ~/.peregrine).")
    Path home;

    @Option(names = "--interval", paramLabel = "SECONDS", defaultValue = "${env:PEREGRINE_AGENT_INTERVAL:-5}",
            description = "Scan interval in seconds (env PEREGRINE_AGENT_INTERVAL, default 5).")
    double intervalSeconds;

    @Option(names = "--proc-root", defaultValue = "${env:PEREGRINE_AGENT_PROC_ROOT:-/proc}",
            description = "Host procfs (env PEREGRINE_AGENT_PROC_ROOT, default /proc; /host/proc in a container).")
    String procRoot;

    @Option(names = "--sys-root", defaultValue = "${env:PEREGRINE_AGENT_SYS_ROOT:-/sys}",
            description = "Host sysfs (env PEREGRINE_AGENT_SYS_ROOT, default /sys).")
    String sysRoot;

    @Option(names = "--host-root", defaultValue = "${env:PEREGRINE_AGENT_HOST_ROOT:-/}",
            description = "Host root filesystem, for /etc/machine-id and the container runtimes' state that names "
                    + "containers: /run/docker.sock, /run/containerd, /run/containers "
                    + "(env PEREGRINE_AGENT_HOST_ROOT, default /).")
    String hostRoot;

    @Option(names = "--node-name", defaultValue = "${env:PEREGRINE_NODE_NAME}",
            description = "Name of this node (env PEREGRINE_NODE_NAME, default the host name).")
    String nodeName;

    @Option(names = "--spool-dir", defaultValue = "${env:PEREGRINE_AGENT_SPOOL_DIR}",
            description = "Disk spool for records while Kafka is unreachable (env PEREGRINE_AGENT_SPOOL_DIR, default $PEREGRINE_HOME/agent-spool).")
    String spoolDir;

    @Option(names = "--spool-max-mb", defaultValue = "${env:PEREGRINE_AGENT_SPOOL_MAX_MB:-512}",
            description = "Cap of the disk spool in MiB (env PEREGRINE_AGENT_SPOOL_MAX_MB, default 512); the oldest records are dropped past it.")
    long spoolMaxMb;

    @Option(names = "--cloud-metadata", negatable = true, defaultValue = "${env:PEREGRINE_AGENT_CLOUD_METADATA:-false}",
            description = "Read the cloud instance metadata service (provider, region, zone, spot) for cost allocation (default off).")
    boolean cloudMetadata;

    @Option(names = "--ebpf", paramLabel = "auto|on|off", defaultValue = "${env:PEREGRINE_AGENT_EBPF:-auto}",
            description = "eBPF sensor (exact connections, HTTP and other L7 requests, process lifecycle; needs root "
                    + "and a kernel with BTF): auto runs it when the host allows and otherwise warns once and uses "
                    + "procfs only; on refuses to start without it; off never loads it "
                    + "(env PEREGRINE_AGENT_EBPF, default auto).")
    String ebpf;

    @Option(names = "--metrics-port", defaultValue = "9101",
            description = "Port of the agent's Prometheus endpoint on 127.0.0.1 (default ${DEFAULT-VALUE}; 0 picks one).")
    int metricsPort;

    @Option(names = "--exit-with-parent", hidden = true,
            description = "Exit when standard input closes: how `peregrine up` keeps its agent from outliving it.")
    boolean exitWithParent;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> c = new HashMap<>();
        connection.extraConfig().forEach((k, v) -> {
            c.put(AgentConfig.PRODUCER_PREFIX + k, v);
            c.put(AgentConfig.REGISTRY_PREFIX + k, v);
        });
        c.put(AgentConfig.BOOTSTRAP_SERVERS, connection.bootstrapServers());
        c.put(AgentConfig.SCHEMA_REGISTRY_URL, connection.schemaRegistryUrl());
        c.put(AgentConfig.INTERVAL_MS, Math.round(intervalSeconds * 1000));
        c.put(AgentConfig.PROC_ROOT, procRoot);
        c.put(AgentConfig.SYS_ROOT, sysRoot);
        c.put(AgentConfig.HOST_ROOT, hostRoot);
        if (nodeName != null) {
            c.put(AgentConfig.NODE_NAME, nodeName);
        }
        if (spoolDir != null) {
            c.put(AgentConfig.SPOOL_DIR, spoolDir);
        }
        c.put(AgentConfig.SPOOL_MAX_BYTES, spoolMaxMb << 20);
        c.put(AgentConfig.CLOUD_METADATA_ENABLED, cloudMetadata);
        c.put(AgentConfig.METRICS_PORT, metricsPort);
        c.put(AgentConfig.EBPF_MODE, ebpf);
        AgentConfig config = new AgentConfig(c);

        CountDownLatch stopped = new CountDownLatch(1);
        Agent agent = Agent.start(config, PeregrineHome.resolve(home), Collectors::forHost);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            agent.close();
            stopped.countDown();
        }, "agent-stop"));
        spec.commandLine().getOut().println("agent      node " + agent.context().nodeName() + " -> "
                + connection.bootstrapServers() + " (metrics http://127.0.0.1:" + agent.metricsPort() + "/metrics)");
        spec.commandLine().getOut().flush();
        if (exitWithParent) {
            ChildJvm.exitWhenStdinCloses();
        }
        stopped.await();
        return 0;
    }
}
