package io.peregrine.flink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.peregrine.flink.config.ConfigException;
import io.peregrine.flink.config.PeregrineYaml;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.dag.Transformation;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.transformations.PhysicalTransformation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlinkJobsTest {

    @TempDir
    Path home;

    @Test
    void shouldPreferFlagsOverEnvironmentOverDefaults() throws Exception {
        Files.writeString(home.resolve("peregrine.yaml"), "slo: {}\n");
        FlinkJobsConfig c = FlinkJobsConfig.parse(new String[] {"--bootstrap-servers", "kafka:9092", "--local",
                "--checkpoint-interval=2s"}, Map.of("PEREGRINE_BOOTSTRAP_SERVERS", "other:9092",
                "PEREGRINE_SCHEMA_REGISTRY_URL", "http://registry:8081", "PEREGRINE_HOME", home.toString()));
        assertThat(c.bootstrapServers()).isEqualTo("kafka:9092");
        assertThat(c.schemaRegistryUrl()).isEqualTo("http://registry:8081");
        assertThat(c.sloConfig()).contains(home.resolve("peregrine.yaml"));
        assertThat(c.local()).isTrue();
        assertThat(c.restAddress()).isEqualTo("127.0.0.1");
        assertThat(c.restPort()).isEqualTo(8082);
        assertThat(c.checkpointInterval()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.checkpointDir()).hasValueSatisfying(d -> assertThat(d).contains("flink/checkpoints"));

        FlinkJobsConfig defaults = FlinkJobsConfig.parse(new String[0], Map.of("PEREGRINE_HOME", home.resolve("x").toString()));
        assertThat(defaults.bootstrapServers()).isEqualTo("127.0.0.1:9092");
        assertThat(defaults.schemaRegistryUrl()).isEqualTo("http://127.0.0.1:8081");
        assertThat(defaults.sloConfig()).isEmpty();
        assertThat(defaults.checkpointDir()).isEmpty();
        assertThat(defaults.checkpointInterval()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void shouldRefuseConflictsAndUnknownOptions() {
        assertThatThrownBy(() -> FlinkJobsConfig.parse(new String[] {"--local", "--remote", "flink:8081"}, Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--remote").hasMessageContaining("--local");
        assertThatThrownBy(() -> FlinkJobsConfig.parse(new String[] {"--bootstrap"}, Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("unknown option");
        assertThatThrownBy(() -> FlinkJobsConfig.parse(new String[] {"--checkpoint-interval", "0s"}, Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--checkpoint-interval");
        assertThatThrownBy(() -> FlinkJobsConfig.parse(new String[] {"--config", home.resolve("missing.yaml").toString()},
                Map.of())).isInstanceOf(ConfigException.class).hasMessageContaining("--config");
    }

    @Test
    void shouldNameAndGiveAUidToEveryOperator() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        FlinkJobs.define(env, FlinkJobsConfig.parse(new String[0], Map.of("PEREGRINE_HOME", home.toString())),
                PeregrineYaml.parse("notify:\n  pagerduty: {routing_key: abc, url: 'http://127.0.0.1:9/v2/enqueue'}\n"
                        + "  slack: {url: 'http://127.0.0.1:9/hook'}\n  opsgenie: {api_key: k}\n"
                        + "  webhooks: [{name: ops, url: 'http://127.0.0.1:9/ops', secret: 0123456789abcdef}]\n"));
        Set<Transformation<?>> all = new HashSet<>();
        for (Transformation<?> t : env.getTransformations()) {
            all.add(t);
            all.addAll(t.getTransitivePredecessors());
        }
        List<Transformation<?>> physical = all.stream().filter(t -> t instanceof PhysicalTransformation).toList();
        assertThat(physical).hasSizeGreaterThanOrEqualTo(10);
        assertThat(physical).allSatisfy(t -> {
            assertThat(t.getUid()).as("uid of " + t.getName()).isNotBlank().matches("(slo|incident|notify|anomaly)-.*");
            assertThat(t.getName()).isNotBlank();
        });
        assertThat(physical.stream().map(Transformation::getUid).distinct().count()).isEqualTo(physical.size());
    }

    @Test
    void shouldFindTheNewestRetainedCheckpoint() throws Exception {
        Path older = Files.createDirectories(home.resolve("job-a/chk-3"));
        Files.writeString(older.resolve("_metadata"), "x");
        Path newer = Files.createDirectories(home.resolve("job-b/chk-7"));
        Files.writeString(newer.resolve("_metadata"), "x");
        Files.setLastModifiedTime(older.resolve("_metadata"), java.nio.file.attribute.FileTime.fromMillis(1_000));
        Files.createDirectories(home.resolve("job-b/chk-8")); // in progress: no _metadata yet
        assertThat(FlinkJobs.latestCheckpoint(home.toUri().toString())).contains(newer);
        assertThat(FlinkJobs.latestCheckpoint(home.resolve("none").toString())).isEmpty();
    }
}
