package io.peregrine.agent.l7;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The prepared statements of one connection, as its exchanges named them: statement name or id
 * to normalised SQL. The text goes to the server once (PostgreSQL Parse, MySQL COM_STMT_PREPARE)
 * and later executions name the statement only, so reporting what an execution ran needs the
 * connection's history. Bounded: past {@link #MAX_STATEMENTS}, the statement used the longest
 * ago is forgotten (its executions then report no text, as before it was seen).
 *
 * <p>Not thread-safe: owned with the connection's other state by the sensor's thread.
 */
public final class PreparedStatements {

    /** Statements remembered per connection (pgjdbc caches 256 by default; most applications use few). */
    public static final int MAX_STATEMENTS = 64;

    private Map<Object, String> texts; // created at the first statement: most connections have none
    private Object lastKey;

    /** Remembers {@code key} (a String name or a Long id) as {@code sql}. */
    public void prepared(Object key, String sql) {
        if (sql == null) {
            return;
        }
        if (texts == null) {
            texts = new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<Object, String> eldest) {
                    return size() > MAX_STATEMENTS;
                }
            };
        }
        texts.put(key, sql);
        lastKey = key;
    }

    /** The text of statement {@code key}, or null when it was not seen (or forgotten). */
    public String text(Object key) {
        return texts == null ? null : texts.get(key);
    }

    /** The text of the statement prepared last (MariaDB executes statement id -1 as "the last prepared"). */
    public String lastPrepared() {
        return lastKey == null ? null : text(lastKey);
    }

    /** The statement was closed (deallocated) on the server. */
    public void closed(Object key) {
        if (texts != null) {
            texts.remove(key);
        }
    }

    /** Statements remembered now. */
    public int size() {
        return texts == null ? 0 : texts.size();
    }
}
