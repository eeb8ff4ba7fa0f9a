#!/usr/bin/env bash
# Regenerates this folder's fixtures from a real memcached (see README.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
proxy="$here/../turn-proxy.py"
work=$(mktemp -d)
trap 'kill $mc 2>/dev/null || true; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
memcached -l 127.0.0.1 -p "$port" -U 0 -u "$(id -un)" -m 16 &
mc=$!
until python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$port))" 2>/dev/null; do sleep 0.1; done

# run <case> <python bytes literal>: one connection through the proxy sending those bytes; keeps
# exchange 1 (the request and the server's whole answer to it)
run() {
  local case=$1 bytes=$2
  local lp; lp=$(free_port)
  python3 "$proxy" "$lp" "$port" "$work" "$case" > "$work/$case.proxy" &
  local pp=$!
  until grep -q ready "$work/$case.proxy" 2>/dev/null; do sleep 0.05; done
  python3 - "$lp" <<PY
import socket, struct, sys, time
def bin(op, key=b"", extras=b"", value=b"", opaque=0x11223344, cas=0):
    body = extras + key + value
    return struct.pack(">BBHBBHIIQ", 0x80, op, len(key), len(extras), 0, 0, len(body), opaque, cas) + body
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall($bytes)
time.sleep(0.3)
s.shutdown(socket.SHUT_WR)
while s.recv(65536): pass
PY
  wait $pp
  cp "$work/$case.1.req" "$here/$case.req"
  cp "$work/$case.1.resp" "$here/$case.resp"
}

run text-set-stored 'b"set user:1 0 0 5\r\nalice\r\n"'
run text-get-hit 'b"get user:1\r\n"'
run text-get-miss 'b"get user:none\r\n"'
run text-multiget 'b"get user:1 user:2 user:3\r\n"'
run text-incr-non-numeric 'b"incr user:1 1\r\n"'
run text-unknown-command 'b"bogus user:1\r\n"'
run text-bad-data-chunk 'b"set user:2 0 0 2\r\ntoolong\r\n"'
run text-delete-not-found 'b"delete user:none\r\n"'
run text-meta-get 'b"mg user:1 v\r\n"'
run text-version 'b"version\r\n"'
run binary-set 'bin(0x01, b"user:9", struct.pack(">II", 0, 0), b"value")'
run binary-get-miss 'bin(0x00, b"user:none")'
run binary-set-incr-batch 'bin(0x01, b"s", struct.pack(">II", 0, 0), b"abc", opaque=1) + bin(0x05, b"s", struct.pack(">QQI", 1, 0, 0), opaque=2)'
run binary-incr-non-numeric 'bin(0x05, b"user:9", struct.pack(">QQI", 1, 0, 0))'
run binary-getq-batch 'bin(0x09, b"user:none", opaque=7) + bin(0x09, b"user:9", opaque=8) + bin(0x0a, opaque=9)'
run binary-unknown-opcode 'bin(0x3f, b"k")'
