package io.peregrine.kafka;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Command lines for the JVMs Peregrine runs as children (the broker, the agent).
 *
 * <p>A child runs in a session of its own ({@code setsid}), so that signals meant for the parent's
 * process group — Ctrl-C in a terminal, {@code timeout}, {@code kill -- -PGID} — reach only the
 * parent, which then stops its parts in order (agent, Streams, registry, broker last). Sent to the
 * whole group, they would stop the broker first, under clients that still need it. The child
 * still ends with its parent: it watches the pipe on its standard input.
 */
public final class ChildJvm {

    private static final Path SETSID = Path.of("/usr/bin/setsid");

    private ChildJvm() {
    }

    /**
     * In the child: exits the JVM (running its shutdown hooks) once standard input reaches
     * end-of-file, which is when the parent closes the pipe or dies, even by SIGKILL.
     */
    public static void exitWhenStdinCloses() {
        Thread watchdog = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // The parent never writes; anything it might write is ignored.
                }
            } catch (java.io.IOException ignored) {
                // A broken pipe means the same as end-of-file: the parent is gone.
            }
            System.exit(0);
        }, "parent-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
    }

    /** {@code java} of this JVM, then {@code arguments}, in a new session where the platform allows. */
    public static List<String> command(List<String> arguments) {
        List<String> command = new ArrayList<>();
        if (Files.isExecutable(SETSID)) {
            // A child of the JVM is not a process group leader, so setsid execs in place without
            // forking: the pid we hold stays the JVM's.
            command.add(SETSID.toString());
        }
        command.add(ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(arguments);
        return command;
    }
}
