#!/usr/bin/env bash
# Captures loader-http-curl.bin: a real peregrine-loader frame stream (see README.md).
# Run as root from edge-agent/ after src/main/native/build.sh target/classes/native.
set -euo pipefail
cd "$(dirname "$0")"
loader=../../../../target/classes/native/peregrine-loader
port=18080
closed=18081
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 -m http.server "$port" --bind 127.0.0.1 --directory "$work" >/dev/null 2>&1 &
server=$!
sleep 0.5
"$loader" --stats-ms 200 > "$work/raw.bin" &
loader_pid=$!
sleep 1

echo hello > "$work/index.html"
( curl -s -o /dev/null -o /dev/null "http://127.0.0.1:$port/index.html" "http://127.0.0.1:$port/missing/42"
  curl -s -o /dev/null "http://[::1]:$closed/" || true
  /bin/true
  sh -c 'exit 3' || true ) &
wait $!
sleep 0.5
kill -TERM "$loader_pid"; wait "$loader_pid"
kill "$server"; wait "$server" 2>/dev/null || true

# Keep the loader's own frames and those of this script's children (the curl, true and sh
# processes, the server): everything else on the host is noise for a fixture.
python3 - "$work/raw.bin" loader-http-curl.bin "$$" "$server" <<'PY'
import struct, sys
src, dst, shell, server = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
data = open(src, 'rb').read()
frames, off = [], 0
while off + 4 <= len(data):
    (n,) = struct.unpack_from('<I', data, off)
    frames.append(data[off:off + 4 + n]); off += 4 + n
parents = {}
for f in frames:
    if f[7] == 3:
        pid, ppid = struct.unpack_from('<II', f, 4 + 16)
        if ppid:
            parents[pid] = ppid
ours = {server, shell}
grown = True
while grown:                          # descendants of this script, in any record order
    before = len(ours)
    ours |= {pid for pid, ppid in parents.items() if ppid in ours}
    grown = len(ours) > before
keep = []
for f in frames:
    t = f[7]
    if t in (100, 101):
        keep.append(f)
    elif t in (1, 2):
        if struct.unpack_from('<I', f, 4 + 24)[0] in ours:
            keep.append(f)
    elif t == 3:
        if struct.unpack_from('<I', f, 4 + 16)[0] in ours:
            keep.append(f)
open(dst, 'wb').write(b''.join(keep))
print(f"{len(keep)} of {len(frames)} frames kept", file=sys.stderr)
PY
