package io.peregrine.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code peregrine} command. */
@Command(name = "peregrine",
        mixinStandardHelpOptions = true,
        versionProvider = Peregrine.Version.class,
        description = "Zero-instrumentation observability on Kafka and Flink.",
        subcommands = {UpCommand.class, AgentCommand.class, StreamsCommand.class, FlinkCommand.class, SqlCommand.class, TopicsCommand.class, TailCommand.class, RegistryCommand.class,
                SilenceCommand.class,
                CommandLine.HelpCommand.class})
public final class Peregrine {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Peregrine());
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            // A failure the user can act on gets one line, not a stack trace; the trace goes to the log.
            commandLine.getErr().println("peregrine " + commandLine.getCommandName() + ": " + describe(e));
            org.slf4j.LoggerFactory.getLogger(Peregrine.class).debug("command failed", e);
            return 1;
        });
        return cl;
    }

    static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            if (c.getMessage() != null && !sb.toString().contains(c.getMessage())) {
                sb.append(": ").append(c.getMessage());
            }
        }
        return sb.toString();
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Peregrine.class.getPackage().getImplementationVersion();
            return new String[] {"peregrine " + (v == null ? "(development build)" : v)};
        }
    }
}
