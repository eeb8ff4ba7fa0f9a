package io.peregrine.cli;

import io.peregrine.flink.FlinkJobs;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/**
 * The Flink jobs (SLO burn-rate alerting and notifiers): on an embedded MiniCluster with
 * {@code --local}, or submitted to a cluster with {@code --remote HOST:PORT}. Options are the
 * job's own ({@code io.peregrine.flink.FlinkJobsConfig}).
 */
@Command(name = "flink", description = "Run the Flink jobs: --local (MiniCluster, REST on 127.0.0.1:8082) or "
        + "--remote HOST:PORT --jar flink-jobs/target/peregrine-flink-jobs.jar; plus --bootstrap-servers, "
        + "--schema-registry-url, --config peregrine.yaml.")
final class FlinkCommand implements Callable<Integer> {

    @Unmatched
    List<String> arguments = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        FlinkJobs.main(arguments.toArray(String[]::new));
        return 0;
    }
}
