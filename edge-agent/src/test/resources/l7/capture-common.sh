# Sourced by mysql/capture.sh and postgres/capture.sh: runs one client connection at a time
# through turn-proxy.py and copies the exchanges it recorded into the fixture folder. The caller
# sets here (the fixture folder), work (a scratch folder) and, once its server is up, port.
proxy="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/turn-proxy.py"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# record <case> <client...>: the client, given the proxy's port last, over one connection; the
# exchanges land in $work/<case>.<n>.req/.resp
record() {
  local case=$1; shift
  local lp; lp=$(free_port)
  python3 "$proxy" "$lp" "$port" "$work" "$case" > "$work/$case.proxy" &
  local pp=$!
  until grep -q ready "$work/$case.proxy" 2>/dev/null; do sleep 0.05; done
  "$@" "$lp" >/dev/null 2>"$work/$case.client" || cat "$work/$case.client" >&2
  wait $pp
}

# run <case> <exchange: a number, or -1 for the one before the last (the last is the client's
# goodbye: COM_QUIT, Terminate)> <client...>
run() {
  local case=$1 keep=$2; shift 2
  record "$case" "$@"
  if [ "$keep" = -1 ]; then
    keep=$(( $(ls "$work/$case".*.req | wc -l) - 1 ))
  fi
  cp "$work/$case.$keep.req" "$here/$case.req"
  cp "$work/$case.$keep.resp" "$here/$case.resp"
}

# sequence <case> <client...>: every exchange of the connection, into sequences/<case>.<n>.req/.resp
sequence() {
  local case=$1; shift
  record "$case" "$@"
  mkdir -p "$here/sequences"
  rm -f "$here/sequences/$case".*
  cp "$work/$case".*.req "$work/$case".*.resp "$here/sequences/"
}
