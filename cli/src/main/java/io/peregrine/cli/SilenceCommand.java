package io.peregrine.cli;

import io.peregrine.schema.Silence;
import io.peregrine.schema.SilenceMatcher;
import io.peregrine.schema.topic.Topic;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Silences in the compacted topic {@code peregrine.silences}: add one, list them, expire one early.
 * The topic is the only store (the incident job reads it), so listing reads it to its end and keeps
 * the latest value per id. Matchers are written as in Alertmanager's {@code amtool}:
 * {@code name=value}, {@code name!=value}, {@code name=~regex}, {@code name!~regex}.
 */
@Command(name = "silence", mixinStandardHelpOptions = true,
        description = "Add, list or expire silences: incidents whose alerts all match one are not notified.",
        subcommands = {SilenceCommand.Add.class, SilenceCommand.ListSilences.class, SilenceCommand.Expire.class})
final class SilenceCommand {

    private static final Pattern MATCHER = Pattern.compile("\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*(=~|!~|!=|=)(.*)");

    /** Parses one matcher; the error names what is wrong and the accepted forms. */
    static SilenceMatcher matcher(String text) {
        Matcher m = MATCHER.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("matcher '" + text + "' is not name=value, name!=value, name=~regex "
                    + "or name!~regex (name: letters, digits, _)");
        }
        String op = m.group(2);
        String value = m.group(3);
        boolean regex = op.endsWith("~");
        if (regex) {
            try {
                Pattern.compile(value);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("matcher '" + text + "': invalid regular expression: "
                        + e.getDescription());
            }
        }
        return SilenceMatcher.newBuilder().setName(m.group(1)).setValue(value).setIsRegex(regex)
                .setIsEqual(op.startsWith("=")).build();
    }

    static String format(SilenceMatcher m) {
        String op = m.getIsEqual() ? (m.getIsRegex() ? "=~" : "=") : (m.getIsRegex() ? "!~" : "!=");
        return m.getName() + op + m.getValue();
    }

    /** An instant as ISO-8601 ({@code 2025-06-02T10:00:00Z}) or {@code now}. */
    static Instant instant(String option, String text, Instant now) {
        if (text.equalsIgnoreCase("now")) {
            return now;
        }
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(option + " '" + text + "' is not an ISO-8601 instant such as "
                    + "2025-06-02T10:00:00Z, or now");
        }
    }

    /** A duration such as {@code 90m}, {@code 2h}, {@code 1d} or {@code 30s}. */
    static Duration duration(String text) {
        Matcher m = Pattern.compile("(\\d{1,9})(s|m|h|d)").matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
            throw new IllegalArgumentException("--duration '" + text + "' is not a positive duration such as 30m, 2h or 1d");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
    }

    /** active, pending (not started) or expired, at {@code now}. */
    static String state(Silence s, Instant now) {
        if (!now.isBefore(s.getEndsAt())) {
            return "expired";
        }
        return now.isBefore(s.getStartsAt()) ? "pending" : "active";
    }

    private static Topic<String, Silence> topic(ConnectionOptions connection) {
        return TopicsCommand.catalog(connection, 1).silences();
    }

    private static void publish(ConnectionOptions connection, Topic<String, Silence> topic, String id, Silence value)
            throws Exception {
        Map<String, Object> config = connection.kafkaConfig(connection.bootstrapServers());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.CLIENT_ID_CONFIG, "peregrine-silence");
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
        try (KafkaProducer<String, Silence> producer =
                     new KafkaProducer<>(config, topic.keySerde().serializer(), topic.valueSerde().serializer())) {
            if (producer.partitionsFor(topic.name()).isEmpty()) {
                throw new IllegalStateException("topic " + topic.name() + " does not exist (peregrine topics create)");
            }
            producer.send(new ProducerRecord<>(topic.name(), id, value)).get(30, TimeUnit.SECONDS);
        }
    }

    /**
     * The current silences: the topic read from its beginning to its end as of now, latest value per
     * id, tombstones removing. Records that do not decode are reported on {@code err} and skipped.
     */
    static Map<String, Silence> current(ConnectionOptions connection, Topic<String, Silence> topic, PrintWriter err) {
        Map<String, Object> config = connection.kafkaConfig(connection.bootstrapServers());
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "peregrine-silence");
        Map<String, Silence> out = new LinkedHashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config,
                new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            List<PartitionInfo> partitions = consumer.partitionsFor(topic.name(), Duration.ofSeconds(30));
            if (partitions == null || partitions.isEmpty()) {
                throw new IllegalStateException("topic " + topic.name() + " does not exist (peregrine topics create)");
            }
            List<TopicPartition> tps = partitions.stream().map(p -> new TopicPartition(topic.name(), p.partition())).toList();
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            Map<TopicPartition, Long> end = consumer.endOffsets(tps, Duration.ofSeconds(30));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (tps.stream().anyMatch(tp -> consumer.position(tp, Duration.ofSeconds(30)) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + topic.name() + " to its end within 60 s");
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    String key = r.key() == null ? null : topic.keySerde().deserializer().deserialize(r.topic(), r.key());
                    if (key == null) {
                        continue;
                    }
                    if (r.value() == null) {
                        out.remove(key);
                        continue;
                    }
                    try {
                        out.put(key, topic.valueSerde().deserializer().deserialize(r.topic(), r.value()));
                    } catch (SerializationException e) {
                        err.println("peregrine silence: skipped record at " + r.topic() + "-" + r.partition() + "@"
                                + r.offset() + ": " + e.getMessage());
                    }
                }
            }
        }
        return out;
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Add a silence; prints its id.")
    static final class Add implements Callable<Integer> {
        @Mixin
        ConnectionOptions connection;

        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "MATCHER", arity = "1..*",
                description = "Label matchers, all of which must hold: app=k8s/shop/db, kind!=ANOMALY, "
                        + "app=~'k8s/shop/.*', severity!~'info|ticket'. Labels: the alert's own plus app, "
                        + "app_name, namespace, kind, severity.")
        List<String> matchers;

        @Option(names = "--starts-at", paramLabel = "INSTANT", defaultValue = "now",
                description = "ISO-8601 instant or now (default).")
        String startsAt;

        @Option(names = "--ends-at", paramLabel = "INSTANT", description = "ISO-8601 instant; or give --duration.")
        String endsAt;

        @Option(names = "--duration", paramLabel = "DURATION", description = "From --starts-at, e.g. 2h (default 1h).")
        String duration;

        @Option(names = "--comment", required = true, description = "Why, e.g. a change ticket.")
        String comment;

        @Option(names = "--created-by", paramLabel = "WHO", defaultValue = "${env:USER}",
                description = "Who (default: $USER).")
        String createdBy;

        @Override
        public Integer call() throws Exception {
            if (endsAt != null && duration != null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "give --ends-at or --duration, not both");
            }
            Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
            Silence s;
            try {
                List<SilenceMatcher> parsed = matchers.stream().map(SilenceCommand::matcher).collect(Collectors.toList());
                Instant start = instant("--starts-at", startsAt, now);
                Instant end = endsAt != null ? instant("--ends-at", endsAt, now)
                        : start.plus(duration(duration != null ? duration : "1h"));
                if (!end.isAfter(start)) {
                    throw new IllegalArgumentException("the silence ends (" + end + ") before it starts (" + start + ")");
                }
                if (!end.isAfter(now)) {
                    throw new IllegalArgumentException("the silence ends (" + end + ") in the past");
                }
                s = Silence.newBuilder()
                        .setId(UUID.randomUUID().toString())
                        .setMatchers(parsed)
                        .setStartsAt(start)
                        .setEndsAt(end)
                        .setCreatedBy(createdBy == null || createdBy.isBlank() ? "unknown" : createdBy)
                        .setComment(comment)
                        .setCreatedAt(now)
                        .build();
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            publish(connection, topic(connection), s.getId(), s);
            spec.commandLine().getOut().println(s.getId());
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List active and pending silences (with --expired, ended ones too).")
    static final class ListSilences implements Callable<Integer> {
        @Mixin
        ConnectionOptions connection;

        @Spec
        CommandSpec spec;

        @Option(names = "--expired", description = "Also list silences that ended.")
        boolean expired;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            Instant now = Instant.now();
            List<Silence> shown = new ArrayList<>();
            for (Silence s : current(connection, topic(connection), spec.commandLine().getErr()).values()) {
                if (expired || !state(s, now).equals("expired")) {
                    shown.add(s);
                }
            }
            shown.sort(java.util.Comparator.comparing(Silence::getEndsAt).thenComparing(Silence::getId));
            out.printf(Locale.ROOT, "%-36s  %-7s  %-24s  %-24s  %-12s  %s  %s%n", "ID", "STATE", "STARTS", "ENDS",
                    "CREATED BY", "MATCHERS", "COMMENT");
            for (Silence s : shown) {
                out.printf(Locale.ROOT, "%-36s  %-7s  %-24s  %-24s  %-12s  %s  %s%n", s.getId(), state(s, now),
                        s.getStartsAt(), s.getEndsAt(), s.getCreatedBy(),
                        s.getMatchers().stream().map(SilenceCommand::format).collect(Collectors.joining(",")),
                        s.getComment());
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "expire", mixinStandardHelpOptions = true,
            description = "End silences now (they stay listed with --expired until deleted by compaction rules).")
    static final class Expire implements Callable<Integer> {
        @Mixin
        ConnectionOptions connection;

        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "ID", arity = "1..*", description = "Ids of the silences to end.")
        List<String> ids;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            Topic<String, Silence> topic = topic(connection);
            Map<String, Silence> current = current(connection, topic, err);
            Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
            int missing = 0;
            for (String id : ids) {
                Silence s = current.get(id);
                if (s == null) {
                    err.println("peregrine silence expire: no silence " + id);
                    missing++;
                } else if (state(s, now).equals("expired")) {
                    out.println(id + " had already ended at " + s.getEndsAt());
                } else {
                    Silence ended = Silence.newBuilder(s).setEndsAt(now)
                            .setStartsAt(s.getStartsAt().isAfter(now) ? now : s.getStartsAt()).build();
                    publish(connection, topic, id, ended);
                    out.println(id + " expired");
                }
            }
            out.flush();
            err.flush();
            return missing == 0 ? 0 : 1;
        }
    }
}
