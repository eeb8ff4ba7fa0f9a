#!/usr/bin/env python3
"""Recording TCP proxy for decoder fixtures (database protocols).

Accepts ONE client connection on 127.0.0.1:<listen>, relays it to 127.0.0.1:<target>, and writes
each request/response exchange the way the eBPF sensor pairs them: the bytes the client sent until
the server started answering (a "turn"), then the bytes the server sent until the client spoke
again. Exchange n goes to <out>/<case>.<n>.req and .resp, each cut at 1024 bytes (the sensor's
default capture). Bytes the server sends before the first request (MySQL's greeting) go to
<out>/<case>.0.resp. Exits when the connection closes.

usage: turn-proxy.py <listen-port> <target-port> <out-dir> <case>
"""
import os
import select
import socket
import sys

CAPTURE = 1024


def main():
    listen_port, target_port, out, case = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", listen_port))
    srv.listen(1)
    srv.settimeout(60)  # a client that never comes: give up rather than hang the capture
    print("ready", flush=True)
    client, _ = srv.accept()
    server = socket.create_connection(("127.0.0.1", target_port))
    n = 0
    req, resp = bytearray(), bytearray()

    def flush():
        nonlocal n
        if not req:
            if resp:
                open(os.path.join(out, f"{case}.0.resp"), "wb").write(bytes(resp[:CAPTURE]))
            return
        n += 1
        open(os.path.join(out, f"{case}.{n}.req"), "wb").write(bytes(req[:CAPTURE]))
        open(os.path.join(out, f"{case}.{n}.resp"), "wb").write(bytes(resp[:CAPTURE]))

    open_ends = {client: server, server: client}
    while open_ends:
        ready, _, _ = select.select(list(open_ends), [], [])
        for s in ready:
            if s not in open_ends:
                continue
            data = s.recv(65536)
            if not data:
                other = open_ends.pop(s)
                try:
                    other.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                continue
            open_ends[s].sendall(data)
            if s is client:
                if resp:  # the client speaks again: the previous exchange is complete
                    flush()
                    req, resp = bytearray(), bytearray()
                req += data
            else:
                resp += data
    flush()

if __name__ == "__main__":
    main()
