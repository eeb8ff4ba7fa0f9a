#!/usr/bin/env bash
# Regenerates this folder's fixtures from a real PostgreSQL server, psql and pgjdbc (see README.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../capture-common.sh" # free_port, run, sequence
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
jdbc=${PGJDBC_JAR:-$(ls ~/.m2/repository/org/postgresql/postgresql/*/postgresql-*.jar | sort -V | tail -1)}
work=$(mktemp -d)
chmod 755 "$work"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
trap 'as_pg "$bin/pg_ctl" -D "$work/data" stop -m immediate >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
port=$(free_port)
mkdir "$work/data" && [ "$(id -u)" != 0 ] || chown postgres "$work/data"
as_pg "$bin/initdb" -D "$work/data" -A trust -U postgres >/dev/null
as_pg "$bin/pg_ctl" -D "$work/data" -l "$work/data/log" -w start \
  -o "-p $port -k $work/data -c listen_addresses=127.0.0.1" >/dev/null
psql "host=127.0.0.1 port=$port user=postgres dbname=postgres" -q -c \
  "CREATE TABLE users (id int PRIMARY KEY, name text, active boolean);
   INSERT INTO users VALUES (1, 'alice', true), (2, 'bob', false);
   CREATE TABLE events (id int PRIMARY KEY, kind text)"

psql_c() { local lp=${*: -1}; psql "host=127.0.0.1 port=$lp user=postgres dbname=postgres sslmode=${SSLMODE:-disable}" -c "$1"; }
# jdbc <case> [url suffix] <port>
jdbc() { local lp=${*: -1} extra=""; [ $# -gt 2 ] && extra=$2; java -cp "$jdbc" "$here/JdbcCapture.java" \
  "jdbc:postgresql://127.0.0.1:$lp/postgres?user=postgres&sslmode=disable$extra" "$1"; }

if [ -z "${ONLY_JDBC:-}" ]; then
run startup 1 psql_c "SELECT 1"
SSLMODE=prefer run ssl-request 1 psql_c "SELECT 1"
run terminate 3 psql_c "SELECT 1"
run simple-select -1 psql_c "SELECT id, name FROM users WHERE id = 1 AND name = 'alice'"
run simple-in-list -1 psql_c "select * from users where id in (1, 2, 3) /* three */ and active = TRUE"
run simple-insert -1 psql_c "INSERT INTO events (id, kind) VALUES (1, E'it''s'), (2, \$\$dollar\$\$)"
run simple-undefined-table -1 psql_c "SELECT * FROM no_such_table"
run simple-syntax-error -1 psql_c "SELEC 1"
run simple-multi-statement -1 psql_c "BEGIN; UPDATE users SET active = false WHERE id = 2; COMMIT"
run simple-empty -1 psql_c " "
run simple-division-by-zero -1 psql_c "SELECT 1/0"
run simple-large-result -1 psql_c "SELECT g, md5(g::text) FROM generate_series(1, 200) g"
fi
run jdbc-select-params -1 jdbc select-params
run jdbc-statement-literal -1 jdbc statement-literal
run jdbc-unique-violation -1 jdbc unique-violation
run jdbc-undefined-table -1 jdbc undefined-table
run jdbc-prepared-execute -1 jdbc prepare-twice "&prepareThreshold=1"
run jdbc-batch-insert -1 jdbc batch-insert
run jdbc-prepare-error -1 jdbc prepare-error
sequence statement-lifecycle jdbc statement-lifecycle "&prepareThreshold=1&preparedStatementCacheQueries=0"
