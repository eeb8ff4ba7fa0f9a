package io.peregrine.cli;

import io.peregrine.schema.registry.SchemaRegistryClient;
import io.peregrine.schema.serde.SerdeConfig;
import io.peregrine.schema.topic.Topic;
import io.peregrine.schema.topic.TopicAdmin;
import io.peregrine.schema.topic.Topics;
import java.io.PrintWriter;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The topic catalog: list it with what the cluster has, or create what is missing. */
@Command(name = "topics", mixinStandardHelpOptions = true,
        description = "List or create Peregrine's topics.",
        subcommands = {TopicsCommand.ListTopics.class, TopicsCommand.CreateTopics.class})
final class TopicsCommand {

    static Topics catalog(ConnectionOptions connection, int partitions) {
        Map<String, Object> registry = connection.registryConfig(connection.schemaRegistryUrl());
        return Topics.create(SchemaRegistryClient.create(registry), SerdeConfig.from(registry), partitions);
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Every topic of the catalog: layout, key, value type and whether the cluster has it.")
    static final class ListTopics implements Callable<Integer> {
        @Mixin
        ConnectionOptions connection;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            Topics topics = catalog(connection, Topics.DEFAULT_PARTITIONS);
            try (Admin admin = Admin.create(connection.kafkaConfig(connection.bootstrapServers()))) {
                Set<String> names = admin.listTopics().names().get(30, TimeUnit.SECONDS);
                Map<String, TopicDescription> described = admin.describeTopics(
                        topics.all().stream().map(Topic::name).filter(names::contains).toList())
                        .allTopicNames().get(30, TimeUnit.SECONDS);
                out.printf("%-30s %-10s %-8s %-10s %-20s %s%n", "TOPIC", "STATE", "PARTS", "POLICY", "VALUE", "KEY");
                for (Topic<?, ?> t : topics.all()) {
                    TopicDescription d = described.get(t.name());
                    out.printf("%-30s %-10s %-8s %-10s %-20s %s%n", t.name(), d == null ? "missing" : "present",
                            d == null ? "-" : Integer.toString(d.partitions().size()),
                            t.cleanupPolicy().config(), t.valueType().getSimpleName(), t.keyFormat());
                }
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create every missing topic of the catalog (existing ones are left alone).")
    static final class CreateTopics implements Callable<Integer> {
        @Mixin
        ConnectionOptions connection;

        @Spec
        CommandSpec spec;

        @Option(names = "--partitions", defaultValue = "" + Topics.DEFAULT_PARTITIONS,
                description = "Partitions per topic (default ${DEFAULT-VALUE}).")
        int partitions;

        @Option(names = "--replication-factor", defaultValue = "1",
                description = "Replication factor (default ${DEFAULT-VALUE}).")
        short replicationFactor;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            Topics topics = catalog(connection, partitions);
            try (Admin admin = Admin.create(connection.kafkaConfig(connection.bootstrapServers()))) {
                for (TopicAdmin.Status s : TopicAdmin.ensure(admin, topics.all(), replicationFactor)) {
                    out.printf("%-30s %s (%d partitions)%n", s.topic().name(), s.created() ? "created" : "exists",
                            s.partitions());
                }
            }
            out.flush();
            return 0;
        }
    }
}
