#!/usr/bin/env bash
# Regenerates this folder's fixtures from a real redis-server and redis-cli (see README.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
proxy="$here/../turn-proxy.py"
work=$(mktemp -d)
trap 'kill $(cat "$work/redis.pid") 2>/dev/null || true; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
  --pidfile "$work/redis.pid" --dir "$work" --logfile "$work/redis.log"
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.1; done

# run <case> <exchange to keep> <command...>: one connection through the proxy, keep one exchange
run() {
  local case=$1 keep=$2; shift 2
  local lp; lp=$(free_port)
  python3 "$proxy" "$lp" "$port" "$work" "$case" > "$work/$case.proxy" &
  local pp=$!
  until grep -q ready "$work/$case.proxy" 2>/dev/null; do sleep 0.05; done
  "$@" "$lp"
  wait $pp
  cp "$work/$case.$keep.req" "$here/$case.req"
  cp "$work/$case.$keep.resp" "$here/$case.resp"
}
cli() { local lp=${*: -1}; redis-cli -p "$lp" "${@:1:$#-1}" >/dev/null; }
raw() { local lp=$2; printf "$1" | python3 -c '
import socket,sys,time
s=socket.create_connection(("127.0.0.1",int(sys.argv[1])))
s.sendall(sys.stdin.buffer.read()); time.sleep(0.3); s.shutdown(socket.SHUT_WR)
while s.recv(65536): pass' "$lp"; }

# redis-cli sends COMMAND DOCS first (exchange 1) when interactive only; with arguments the
# command is exchange 1.
run set-ok 1 cli SET user:1001 alice
run get-hit 1 cli GET user:1001
run get-miss 1 cli GET user:9999
run incr-wrongtype 1 cli INCR user:1001
run lpush-wrongtype 1 cli LPUSH user:1001 x
run unknown-command 1 cli NOSUCHCMD a b
run client-setname 1 cli CLIENT SETNAME peregrine-fixture
run config-get 1 cli CONFIG GET maxmemory
run hgetall-empty 1 cli HGETALL h:none
run mget 1 cli MGET user:1001 user:1002
run ping 1 cli PING
run inline-ping 1 raw 'PING\r\n'
run inline-set 1 raw 'set user:2 bob\r\n'
run pipeline 1 raw '*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$4\r\nINCR\r\n$1\r\na\r\n*2\r\n$5\r\nLPUSH\r\n$1\r\na\r\n'
redis-cli -p "$port" SET big "$(head -c 3000 /dev/zero | tr '\0' x)" >/dev/null
run get-large-value 1 cli GET big
