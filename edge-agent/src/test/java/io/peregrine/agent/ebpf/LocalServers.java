package io.peregrine.agent.ebpf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Real database servers from the Debian packages (redis-server, postgresql, mariadb-server), each
 * started by the test in its own temporary directory on a free loopback port, and stopped and
 * deleted on close. PostgreSQL refuses to run as root, so as root it runs as the {@code postgres}
 * user (setpriv, which execs rather than forks, so the process we hold is the server).
 */
final class LocalServers {

    private static final Duration START_BOUND = Duration.ofSeconds(90);

    private LocalServers() {}

    /** A server process, its port and its directory. */
    static final class Server implements AutoCloseable {
        final String name;
        final int port;
        final Path dir;
        private final Process process;

        Server(String name, int port, Path dir, Process process) {
            this.name = name;
            this.port = port;
            this.dir = dir;
            this.process = process;
        }

        long pid() {
            return process.pid();
        }

        @Override
        public void close() {
            process.destroy(); // SIGTERM: every one of these servers shuts down cleanly on it
            try {
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
            deleteTree(dir);
        }

        @Override
        public String toString() {
            return name + " on 127.0.0.1:" + port;
        }
    }

    /** What the tests need on PATH (or in /usr/lib/postgresql), for EbpfTestSupport.require. */
    static boolean installed(String command) {
        if (command.equals("postgres")) {
            return postgresBin() != null;
        }
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").concat(":/usr/sbin:/sbin").split(":")) {
            if (Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }

    static Server redis() throws Exception {
        Path dir = Files.createTempDirectory("peregrine-redis-");
        int port = freePort();
        Process p = start(dir, List.of("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.toString(), "--logfile", dir.resolve("log").toString()));
        return await(new Server("redis-server", port, dir, p));
    }

    static Server postgres() throws Exception {
        Path bin = postgresBin();
        Path dir = Files.createTempDirectory("peregrine-pg-");
        Path data = dir.resolve("data");
        int port = freePort();
        boolean root = EbpfTestSupport.isRoot();
        List<String> as = root ? List.of("setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--")
                : List.of();
        if (root) {
            run(List.of("chown", "postgres", dir.toString()), dir);
        }
        List<String> initdb = new ArrayList<>(as);
        initdb.addAll(List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-A", "trust", "-U", "postgres",
                "--no-sync"));
        run(initdb, dir);
        List<String> server = new ArrayList<>(as);
        server.addAll(List.of(bin.resolve("postgres").toString(), "-D", data.toString(), "-p", Integer.toString(port),
                "-k", dir.toString(), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"));
        // The postmaster listens before it admits sessions ("the database system is starting up"):
        // ready is pg_isready's 0, not an accepted socket.
        String isReady = bin.resolve("pg_isready").toString();
        return await(new Server("postgres", port, dir, start(dir, server)), () -> new ProcessBuilder(isReady,
                "-q", "-h", "127.0.0.1", "-p", Integer.toString(port)).start().waitFor() == 0);
    }

    /** Whether a started server is ready for the tests' clients. */
    @FunctionalInterface
    private interface Readiness {
        boolean ready() throws Exception;
    }

    static Server mariadb() throws Exception {
        Path dir = Files.createTempDirectory("peregrine-mariadb-");
        Path data = dir.resolve("data");
        int port = freePort();
        String user = System.getProperty("user.name");
        run(List.of("mariadb-install-db", "--no-defaults", "--datadir=" + data, "--user=" + user,
                "--auth-root-authentication-method=normal", "--skip-test-db"), dir);
        // Grant tables off: any user may log in over TCP without a password, which is all a
        // throwaway server on loopback needs; the protocol is the same.
        Process p = start(dir, List.of("mariadbd", "--no-defaults", "--datadir=" + data, "--user=" + user,
                "--port=" + port, "--bind-address=127.0.0.1", "--socket=" + dir.resolve("sock"),
                "--pid-file=" + dir.resolve("pid"), "--log-error=" + dir.resolve("error.log"), "--skip-log-bin",
                "--skip-grant-tables", "--innodb-flush-log-at-trx-commit=0"));
        return await(new Server("mariadbd", port, dir, p));
    }

    private static Path postgresBin() {
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) {
            return null;
        }
        try (Stream<Path> versions = Files.list(root)) {
            return versions.map(v -> v.resolve("bin"))
                    .filter(b -> Files.isExecutable(b.resolve("postgres")) && Files.isExecutable(b.resolve("initdb")))
                    .max(Comparator.comparing(b -> Integer.parseInt(b.getParent().getFileName().toString().replaceAll("\\D", "0"))))
                    .orElse(null);
        } catch (IOException e) {
            return null;
        }
    }

    private static Process start(Path dir, List<String> command) throws IOException {
        return new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("stdout").toFile()).start();
    }

    private static void run(List<String> command, Path dir) throws Exception {
        Path out = Files.createTempFile(dir, "setup-", ".out");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(START_BOUND.toSeconds(), TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException(command + " failed: " + Files.readString(out));
        }
    }

    /** Waits until the server accepts connections (bounded), or fails with its output. */
    private static Server await(Server s) throws Exception {
        return await(s, () -> {
            try {
                new Socket(InetAddress.getLoopbackAddress(), s.port).close();
                return true;
            } catch (IOException notYet) {
                return false;
            }
        });
    }

    /** Waits until the server is ready (bounded), or fails with its output. */
    private static Server await(Server s, Readiness readiness) throws Exception {
        long deadline = System.nanoTime() + START_BOUND.toNanos();
        while (System.nanoTime() < deadline) {
            if (!s.process.isAlive()) {
                String out = Files.readString(s.dir.resolve("stdout"));
                s.close();
                throw new IllegalStateException(s + " exited with " + s.process.exitValue() + ": " + out);
            }
            if (readiness.ready()) {
                return s;
            }
            Thread.sleep(100);
        }
        s.close();
        throw new IllegalStateException(s + " was not ready within " + START_BOUND);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // a server still writing as it dies: left for the OS to clean
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // already gone
        }
    }
}
