#!/usr/bin/env python3
"""tls_peer.py - a TLS listener on 127.0.0.1 that records its handshakes.

A stand-in for a peer whose protocol the tests cannot serve over TLS
(librdkafka's mock cluster is plaintext only): it answers nothing, but
shows whether the client trusted the certificate. Each connection is one
JSON line in the log:
  {"handshake": "ok", "first_bytes": "<hex of the first 64 bytes>"}
  {"handshake": "failed", "error": "<the server side's SSL error>"}
A client that rejects the certificate aborts the handshake (the server
sees an alert such as "tlsv1 alert unknown ca"); one that accepts it goes
on to send its first request (a Kafka client: ApiVersions, api key 18).

Usage: tls_peer.py --cert C --key K --port-file F --log L
Python 3 standard library only; serves until killed.
"""

import argparse
import json
import os
import socket
import ssl
import threading


def serve_one(ctx, conn, log, lock):
    rec = {}
    try:
        conn.settimeout(10)
        with ctx.wrap_socket(conn, server_side=True) as tls:
            rec["handshake"] = "ok"
            try:
                rec["first_bytes"] = tls.recv(64).hex()
            except (OSError, ssl.SSLError) as e:
                rec["first_bytes"], rec["error"] = "", str(e)
    except (OSError, ssl.SSLError) as e:
        rec = {"handshake": "failed", "error": str(e)}
    finally:
        conn.close()
    with lock:
        log.write(json.dumps(rec) + "\n")
        log.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    log, lock = open(a.log, "a"), threading.Lock()
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    os.rename(tmp, a.port_file)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve_one, args=(ctx, conn, log, lock), daemon=True).start()


if __name__ == "__main__":
    main()
