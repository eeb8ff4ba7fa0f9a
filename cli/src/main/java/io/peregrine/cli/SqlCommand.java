package io.peregrine.cli;

import io.peregrine.flink.sql.PeregrineSql;
import io.peregrine.flink.sql.SqlStatements;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import org.apache.flink.table.api.ResultKind;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Flink SQL over Peregrine's topics: one table per topic already defined
 * ({@code SHOW TABLES;}), on an embedded MiniCluster or a remote cluster. With a query argument,
 * runs it (several statements separated by {@code ;} are fine) and exits; without one, reads
 * statements ending in {@code ;} from standard input, so it serves both as an interactive prompt
 * and for {@code peregrine sql < report.sql}.
 *
 * <p>Reads are bounded by default: a query sees the topics up to their latest offsets when it
 * starts and returns final results as a table. {@code --streaming} reads without end and prints
 * the changelog as it comes ({@code +I}, {@code -U}, {@code +U}, {@code -D}) until Ctrl-C.
 */
@Command(name = "sql", mixinStandardHelpOptions = true,
        description = "Query the topics with Flink SQL (one table per topic: SHOW TABLES). With a query: run it and "
                + "exit; without: read statements ending in ';' from standard input.")
final class SqlCommand implements Callable<Integer> {

    private static final Pattern INSERT = Pattern.compile(
            "^(\\s|--[^\\n]*\\n|/\\*.*?\\*/)*(INSERT|EXECUTE)\\b", Pattern.CASE_INSENSITIVE | Pattern.DOTALL);

    @Mixin
    ConnectionOptions connection;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "QUERY",
            description = "Statement(s) to run, e.g. \"SELECT app.id, MAX(p99_ns) FROM sli GROUP BY app.id\".")
    String query;

    @Option(names = "--streaming", description = "Read the topics without end and print changes as they come "
            + "(default: bounded reads up to the latest offsets, final results).")
    boolean streaming;

    @Option(names = "--remote", paramLabel = "HOST:PORT",
            description = "Run on the Flink cluster whose REST endpoint this is (default: an embedded MiniCluster).")
    String remote;

    @Option(names = "--jar", paramLabel = "FILE",
            description = "Job jar shipped with --remote: flink-jobs/target/peregrine-flink-jobs.jar.")
    Path jar;

    @Option(names = "--parallelism", paramLabel = "N", description = "Default parallelism of the queries.")
    Integer parallelism;

    @Option(names = "--max-width", paramLabel = "CHARS", defaultValue = "60",
            description = "Cut cells longer than this in printed tables (default ${DEFAULT-VALUE}; 0: never).")
    int maxWidth;

    @Option(names = "--verbose", description = "Keep Flink's and Kafka's warnings on standard error "
            + "(default: errors only; every MiniCluster query start and stop says something).")
    boolean verbose;

    /** Where statements come from without a query argument; standard input unless a test says otherwise. */
    InputStream in = System.in;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!verbose) {
            for (String noisy : List.of("org.apache.flink", "org.apache.kafka")) {
                if (LoggerFactory.getLogger(noisy) instanceof ch.qos.logback.classic.Logger logger) {
                    logger.setLevel(ch.qos.logback.classic.Level.ERROR);
                }
            }
        }
        Map<String, String> extra = new TreeMap<>();
        connection.extraConfig().forEach((k, v) -> extra.put(k, String.valueOf(v)));
        PeregrineSql session = new PeregrineSql(connection.bootstrapServers(), connection.schemaRegistryUrl(),
                streaming, Optional.ofNullable(remote), Optional.ofNullable(jar), Optional.ofNullable(parallelism),
                extra, extra);
        TableEnvironment tEnv = session.open();
        if (query != null) {
            for (String statement : SqlStatements.all(query)) {
                run(tEnv, statement, out);
            }
            out.flush();
            return 0;
        }
        return prompt(tEnv, out, err);
    }

    /** Reads statements until end of input or {@code quit;}; a failing statement is reported and the prompt goes on. */
    private int prompt(TableEnvironment tEnv, PrintWriter out, PrintWriter err) throws Exception {
        boolean interactive = System.console() != null && in == System.in;
        if (interactive) {
            out.println("Flink SQL over Peregrine's topics (" + (streaming ? "streaming" : "bounded") + "). Tables: "
                    + String.join(", ", tEnv.listTables()) + ". End statements with ';', quit with 'quit;'.");
        }
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        StringBuilder buffer = new StringBuilder();
        int failures = 0;
        while (true) {
            if (interactive) {
                out.print(buffer.toString().isBlank() ? "peregrine> " : "        -> ");
                out.flush();
            }
            String line = reader.readLine();
            List<String> statements;
            if (line == null) {
                statements = SqlStatements.all(buffer.toString());
                buffer.setLength(0);
            } else {
                buffer.append(line).append('\n');
                statements = SqlStatements.complete(buffer.toString());
                if (!statements.isEmpty()) {
                    String rest = SqlStatements.rest(buffer.toString());
                    buffer.setLength(0);
                    buffer.append(rest);
                }
            }
            for (String statement : statements) {
                String word = statement.strip().toLowerCase(Locale.ROOT);
                if (word.equals("quit") || word.equals("exit")) {
                    out.flush();
                    return failures == 0 ? 0 : 1;
                }
                try {
                    run(tEnv, statement, out);
                } catch (Exception e) {
                    failures++;
                    err.println("error: " + Peregrine.describe(e));
                    err.flush();
                }
            }
            out.flush();
            if (line == null) {
                return failures == 0 ? 0 : 1;
            }
        }
    }

    private void run(TableEnvironment tEnv, String statement, PrintWriter out) throws Exception {
        TableResult result = tEnv.executeSql(statement);
        if (INSERT.matcher(statement).find()) {
            result.await();
            out.println("OK: inserted (" + result.getJobClient().map(j -> "job " + j.getJobID()).orElse("done") + ")");
            return;
        }
        if (result.getResultKind() == ResultKind.SUCCESS) {
            out.println("OK");
            return;
        }
        List<String> columns = result.getResolvedSchema().getColumnNames();
        try (CloseableIterator<Row> rows = result.collect()) {
            if (streaming && result.getJobClient().isPresent()) {
                ResultTable.streamTo(out, columns, rows, maxWidth);
            } else {
                ResultTable.print(out, columns, rows, maxWidth);
            }
        }
    }
}
