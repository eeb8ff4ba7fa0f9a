package io.peregrine.cli;

import io.peregrine.kafka.ChildJvm;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The agent that {@code peregrine up} runs for this machine, in its own JVM as in production: its
 * CPU and memory are the agent's alone (so they can be measured), and it is sized like a production
 * agent. It exits when {@code up} closes its standard input, or dies.
 */
final class AgentProcess implements AutoCloseable {

    /**
     * JVM flags that keep the agent small: a small heap with the serial collector (no GC threads),
     * bounded metaspace and code cache, and the default tiered JIT (C2 for the hot code) whose
     * compiler memory is given back to the system every 5 s. The per-request path (eBPF records
     * mapped, encoded and sent to Kafka) costs C2 code about half of C1's; C1 alone kept the RSS
     * ~20 MB lower but the agent at ~1% of a core per 1,000 requests a second (edge-agent's
     * {@code AgentBenchmark}).
     */
    static final List<String> JVM_OPTIONS = jvmOptions(Runtime.version());

    /** The flags for a child JVM of {@code version}: 17.0.8 and older have no TrimNativeHeapInterval and would not start. */
    static List<String> jvmOptions(Runtime.Version version) {
        List<String> options = new ArrayList<>(List.of("-Xms16m", "-Xmx96m", "-XX:+UseSerialGC",
                "-XX:MaxMetaspaceSize=96m", "-XX:ReservedCodeCacheSize=32m", "-Xss512k", "-XX:+ExitOnOutOfMemoryError"));
        if (version.compareToIgnoreOptional(Runtime.Version.parse("17.0.9")) >= 0) {
            options.add("-XX:TrimNativeHeapInterval=5000");
        }
        return List.copyOf(options);
    }

    private final Process process;
    private final Path log;

    private AgentProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    static AgentProcess start(Path home, String bootstrap, String registryUrl, int metricsPort) throws IOException {
        Path log = home.resolve("logs").resolve("agent.log");
        Files.createDirectories(log.getParent());
        List<String> command = new ArrayList<>(JVM_OPTIONS);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Peregrine.class.getName(), "agent",
                "--exit-with-parent", "--home", home.toString(), "--bootstrap-servers", bootstrap,
                "--schema-registry-url", registryUrl, "--metrics-port", Integer.toString(metricsPort)));
        Process process = new ProcessBuilder(ChildJvm.command(command))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        AgentProcess agent = new AgentProcess(process, log);
        try {
            agent.awaitMetrics(metricsPort, Duration.ofSeconds(60));
        } catch (IOException | RuntimeException e) {
            agent.close();
            throw e;
        }
        return agent;
    }

    private void awaitMetrics(int port, Duration timeout) throws IOException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .timeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IOException("the agent exited with code " + process.exitValue() + "; see " + log);
            }
            try {
                if (http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // Not serving yet.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the agent", e);
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("the agent did not serve its metrics within " + timeout + "; see " + log);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the agent", e);
            }
        }
    }

    long pid() {
        return process.pid();
    }

    Path log() {
        return log;
    }

    ProcessHandle handle() {
        return process.toHandle();
    }

    /** Closes the agent's stdin (it flushes and exits), forcibly after 40 s. */
    @Override
    public void close() {
        try {
            process.getOutputStream().close();
        } catch (IOException ignored) {
            // A broken pipe tells the agent the same.
        }
        try {
            if (!process.waitFor(40, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
