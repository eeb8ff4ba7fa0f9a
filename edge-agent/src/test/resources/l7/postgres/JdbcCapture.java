import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Client side of the captures that need a real JDBC driver (pgjdbc, MariaDB Connector/J): one
 * connection to the URL in args[0], running case args[1]. Run as a single-file program:
 * {@code java -cp <driver.jar> JdbcCapture.java <url> <case>}. Errors the case provokes are expected.
 */
public class JdbcCapture {
    public static void main(String[] args) throws Exception {
        try (Connection c = DriverManager.getConnection(args[0])) {
            switch (args[1]) {
                case "select-params" -> {
                    try (PreparedStatement s = c.prepareStatement(
                            "SELECT id, name FROM users WHERE id = ? AND name IN (?, ?, ?)")) {
                        s.setInt(1, 42);
                        s.setString(2, "alice");
                        s.setString(3, "bob");
                        s.setString(4, "carol");
                        s.executeQuery().close();
                    }
                }
                case "statement-literal" -> {
                    try (Statement s = c.createStatement()) {
                        s.executeQuery("SELECT name FROM users WHERE id = 7 AND active = true -- by id\n").close();
                    }
                }
                case "unique-violation" -> {
                    try (PreparedStatement s = c.prepareStatement("INSERT INTO users (id, name) VALUES (?, ?)")) {
                        s.setInt(1, 1);
                        s.setString(2, "duplicate");
                        s.executeUpdate();
                    } catch (SQLException expected) {
                        System.err.println(expected.getSQLState() + " " + expected.getMessage());
                    }
                }
                case "undefined-table" -> {
                    try (Statement s = c.createStatement()) {
                        s.executeQuery("SELECT * FROM no_such_table WHERE id = 1").close();
                    } catch (SQLException expected) {
                        System.err.println(expected.getSQLState() + " " + expected.getMessage());
                    }
                }
                case "prepare-twice" -> {
                    // Executed twice with prepareThreshold=1 (PG) / useServerPrepStmts (MariaDB): the
                    // second run only binds and executes the statement prepared by the first.
                    try (PreparedStatement s = c.prepareStatement("SELECT name FROM users WHERE id = ?")) {
                        for (int i = 1; i <= 2; i++) {
                            s.setInt(1, i);
                            s.executeQuery().close();
                        }
                    }
                }
                case "statement-lifecycle" -> {
                    // A statement prepared, executed by name, closed; then another one, whose
                    // exchanges carry the deferred close of the first (pgjdbc) or follow it (MariaDB).
                    try (PreparedStatement s = c.prepareStatement("SELECT name FROM users WHERE id = ?")) {
                        for (int i = 1; i <= 2; i++) {
                            s.setInt(1, i);
                            s.executeQuery().close();
                        }
                    }
                    try (PreparedStatement s = c.prepareStatement("UPDATE users SET active = ? WHERE id = ?")) {
                        for (int i = 1; i <= 2; i++) {
                            s.setBoolean(1, true);
                            s.setInt(2, i);
                            s.executeUpdate();
                        }
                    }
                    try (Statement s = c.createStatement()) {
                        s.executeQuery("SELECT 1").close();
                    }
                }
                case "batch-insert" -> {
                    try (PreparedStatement s = c.prepareStatement("INSERT INTO events (id, kind) VALUES (?, ?)")) {
                        for (int i = 0; i < 3; i++) {
                            s.setInt(1, 100 + i);
                            s.setString(2, "k" + i);
                            s.addBatch();
                        }
                        s.executeBatch();
                    }
                }
                case "prepare-error" -> {
                    try (PreparedStatement s = c.prepareStatement("SELECT nope FROM users WHERE id = ?")) {
                        s.setInt(1, 1);
                        s.executeQuery().close();
                    } catch (SQLException expected) {
                        System.err.println(expected.getSQLState() + " " + expected.getMessage());
                    }
                }
                default -> throw new IllegalArgumentException(args[1]);
            }
        }
    }
}
