#!/usr/bin/env python3
"""es_replay.py PORT TEMPLATES-DIR — the emulator's own ceiling for
bench.sh's scenario 3: the documents the shipper indexed, posted again
by a plain keep-alive client in as many bulk requests as the shipper
sent, into the emulator reset and given the same ILM policy and index
template. Prints "SECONDS DOCUMENTS" (the bulks' wall time only).

If the shipper's documents/s come close to these, the emulator, not the
shipper, set the pace of the scenario. Python 3 standard library only.
"""
import http.client
import json
import os
import sys
import time


def call(conn, method, path, body=None, ctype="application/json"):
    headers = {"Content-Type": ctype} if body is not None else {}
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    if resp.status != 200:
        sys.exit("es_replay: %s %s: HTTP %d: %s" % (method, path, resp.status, data[:300]))
    return json.loads(data) if data else None


def bodies(docs, n):
    """The (index, _id, source) triples as n NDJSON bulk bodies."""
    per = -(-len(docs) // max(n, 1))
    for i in range(0, len(docs), per):
        lines = []
        for index, doc_id, src in docs[i:i + per]:
            lines.append(json.dumps({"index": {"_index": index, "_id": doc_id}}))
            lines.append(json.dumps(src, ensure_ascii=False, separators=(",", ":")))
        yield ("\n".join(lines) + "\n").encode("utf-8")


def main():
    port, tdir = int(sys.argv[1]), sys.argv[2]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    nbulk = call(conn, "GET", "/_emulator/stats")["bulk_requests"]
    by_index = call(conn, "GET", "/_emulator/docs?index=spire-logs-*&by_index=true")
    docs = [(index, doc_id, src) for index, d in sorted(by_index.items())
            for doc_id, src in d.items()]
    call(conn, "POST", "/_emulator/reset")
    for path, name in (("/_ilm/policy/spire-logs", "spire-logs-ilm.json"),
                       ("/_index_template/spire-logs", "spire-logs-template.json")):
        with open(os.path.join(tdir, name), "rb") as f:
            call(conn, "PUT", path, f.read())
    payloads = list(bodies(docs, nbulk))
    start = time.monotonic()
    for body in payloads:
        r = call(conn, "POST", "/_bulk", body, "application/x-ndjson")
        if r["errors"]:
            sys.exit("es_replay: a bulk had item errors")
    print("%.3f %d" % (time.monotonic() - start, len(docs)))


if __name__ == "__main__":
    main()
