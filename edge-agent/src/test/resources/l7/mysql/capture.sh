#!/usr/bin/env bash
# Regenerates this folder's fixtures from a real MariaDB server, the mariadb client and MariaDB
# Connector/J (see README.md). JdbcCapture.java is shared with ../postgres.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../capture-common.sh" # free_port, run, sequence
jdbc=${MARIADB_JDBC_JAR:-$(ls ~/.m2/repository/org/mariadb/jdbc/mariadb-java-client/*/mariadb-java-client-*.jar | sort -V | tail -1)}
work=$(mktemp -d)
trap 'kill $(cat "$work/mariadb.pid" 2>/dev/null) 2>/dev/null || true; sleep 1; rm -rf "$work"' EXIT
port=$(free_port)
mariadb-install-db --no-defaults --datadir="$work/data" --user="$(id -un)" --auth-root-authentication-method=normal \
  --skip-test-db >/dev/null 2>&1
mariadbd --no-defaults --datadir="$work/data" --user="$(id -un)" --port="$port" --bind-address=127.0.0.1 \
  --socket="$work/mariadb.sock" --pid-file="$work/mariadb.pid" --log-error="$work/error.log" --skip-log-bin &
until mariadb --no-defaults -S "$work/mariadb.sock" -uroot -e "SELECT 1" >/dev/null 2>&1; do sleep 0.2; done
mariadb --no-defaults -S "$work/mariadb.sock" -uroot -e "
  CREATE DATABASE shop;
  CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY 'secret';
  GRANT ALL ON shop.* TO 'app'@'127.0.0.1';
  CREATE TABLE shop.users (id INT PRIMARY KEY, name VARCHAR(64), active BOOLEAN);
  INSERT INTO shop.users VALUES (1, 'alice', TRUE), (2, 'bob', FALSE);
  CREATE TABLE shop.events (id INT PRIMARY KEY, kind VARCHAR(16));"

cli() { local lp=${*: -1}; mariadb --no-defaults --skip-ssl -h 127.0.0.1 -P "$lp" -uapp -psecret shop -e "$1"; }
admin() { local lp=${*: -1}; mariadb-admin --no-defaults --skip-ssl -h 127.0.0.1 -P "$lp" -uapp -psecret "$1"; }
# jdbc <case> [url suffix] <port>
jdbc() { local lp=${*: -1} extra=""; [ $# -gt 2 ] && extra=$2; java -cp "$jdbc" "$here/../postgres/JdbcCapture.java" \
  "jdbc:mariadb://127.0.0.1:$lp/shop?user=app&password=secret$extra" "$1"; }

run handshake-response 1 cli "SELECT 1"
run com-query-select -1 cli "SELECT id, name FROM users WHERE id = 1 AND name = 'alice'"
run com-query-in-list -1 cli "select * from users where id in (1, 2, 3) # three
 and active = TRUE"
run com-query-insert -1 cli "INSERT INTO events (id, kind) VALUES (1, 'it\\'s'), (2, \"dq\"), (3, X'41')"
run com-query-no-such-table -1 cli "SELECT * FROM no_such_table"
run com-query-syntax-error -1 cli "SELEC 1"
run com-query-duplicate-key -1 cli "INSERT INTO users (id, name) VALUES (1, 'again')"
run com-query-large-result -1 cli "SELECT seq, MD5(seq) FROM seq_1_to_200"
run com-query-update -1 cli "UPDATE users SET active = FALSE WHERE id = 2"
run com-init-db -1 cli "USE shop"
run com-ping -1 admin ping
run jdbc-statement-literal -1 jdbc statement-literal
run jdbc-undefined-table -1 jdbc undefined-table
run jdbc-prepare-execute -1 jdbc select-params "&useServerPrepStmts=true"
run jdbc-stmt-execute -1 jdbc prepare-twice "&useServerPrepStmts=true"
run jdbc-prepare-error -1 jdbc prepare-error "&useServerPrepStmts=true"
sequence statement-lifecycle jdbc statement-lifecycle "&useServerPrepStmts=true&cachePrepStmts=false"
