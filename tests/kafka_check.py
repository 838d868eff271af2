#!/usr/bin/env python3
"""kafka_check.py - what tests/kafka_mock consumed, message by message.

    kafka_check.py CONSUMED PREFIX [--routing] [--partitions N]

CONSUMED is the mock's consumed.ndjson (one message per line: topic,
partition, offset, key, headers, value as a JSON string). Writes the
values, once each, to PREFIX.values (for tests/gen/outcount.py) and the
number of repeats dropped to PREFIX.repeats (with --routing, how often
each way of routing was taken to PREFIX.routes); prints what is wrong
("#   ..." lines) and exits 1 if anything is.

Every message: the source-id header (32 hex digits: the file's identity,
then the record's offset in it), the static header x-team=security, and
x-event equal to the record's security_event. A repeat of a source id
must carry the same value (a replay), and is dropped.

Default mode (the shipper's default keys): the key is the record's
spiffe_id, else its pod; one partition per topic and key; and order per
key: the records of one key and one pod are consumed in the order they
were written, across the pod's rotated files (x.log.2.gz, x.log.1, then
x.log). A file's pod is the key of its records without spiffe_id; files
of a pod are ordered by their first record's time, records in a file by
their offset.

--routing checks the configuration of kafka.sh's routing run instead:
topic_key security_event (default_topic spire), message_key_key
caller_id with default_message_key anonymous, partition_key_key
subsystem_name: each message's topic, key, and partition as librdkafka's
consistent_random partitioner puts it (CRC-32 of the partition key, else
of the key, modulo --partitions).
"""

import argparse
import collections
import json
import re
import sys
import zlib


def scalar(v):
    """A field as the shipper's paths read it: a scalar's text, or None."""
    if v is None or isinstance(v, (dict, list)):
        return None
    if isinstance(v, bool):
        s = "true" if v else "false"
    else:
        s = str(v)
    return s or None


def headers_ok(m, v, bad):
    h = m["headers"]
    sid = h.get("spire-shipper-source-id", "")
    if not re.fullmatch(r"[0-9a-f]{32}", sid):
        bad.append("source-id header %r" % sid)
    if h.get("x-team") != "security":
        bad.append("x-team header")
    if h.get("x-event") != v.get("security_event"):
        bad.append("x-event header %r" % h.get("x-event"))
    return sid


def default_key_ok(m, v, bad):
    want = v.get("spiffe_id")
    if want is None and not re.fullmatch(r"spire-(server|agent)-[^_/]+",
                                         m["key"] or ""):
        bad.append("pod key %r" % m["key"])
    elif want is not None and m["key"] != want:
        bad.append("key %r for spiffe_id %r" % (m["key"], want))


def routing_ok(m, v, parts, bad, seen):
    topic = scalar(v.get("security_event")) or "spire"
    key = scalar(v.get("caller_id")) or "anonymous"
    pkey = scalar(v.get("subsystem_name")) or key
    seen["topics"].add(m["topic"])
    seen["default_key" if key == "anonymous" else "record_key"] += 1
    seen["pkey_field" if scalar(v.get("subsystem_name")) else "pkey_key"] += 1
    if m["topic"] != topic:
        bad.append("topic %r for security_event %r" % (m["topic"], topic))
    if m["key"] != key:
        bad.append("key %r for caller_id %r" % (m["key"], v.get("caller_id")))
    want = zlib.crc32(pkey.encode()) % parts
    if m["partition"] != want:
        bad.append("partition %d for partition key %r (want %d)" %
                   (m["partition"], pkey, want))


def order_ok(firsts, bad):
    """firsts: (topic, key, file, offset, time, spiffe_id) in consumed
    order, first occurrences only."""
    pod_of, first_time = {}, {}
    for topic, key, fid, off, t, sid in firsts:
        if sid is None:
            pod_of.setdefault(fid, key)
        first_time[fid] = min(first_time.get(fid, t), t)
    rank = {fid: (first_time[fid], fid) for fid in first_time}
    last = {}
    for topic, key, fid, off, t, sid in firsts:
        stream = (topic, key, pod_of.get(fid, fid))
        pos = (rank[fid], off)
        if stream in last and last[stream] > pos:
            bad.append("order of key %r broken (pod %s)" % (key, stream[2]))
        last[stream] = max(last.get(stream, pos), pos)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("consumed")
    ap.add_argument("prefix")
    ap.add_argument("--routing", action="store_true")
    ap.add_argument("--partitions", type=int, default=6)
    a = ap.parse_args()
    msgs = [json.loads(line) for line in open(a.consumed)]
    # Consumed order within a partition is its offsets' order.
    msgs.sort(key=lambda m: (m["topic"], m["partition"], m["offset"]))
    bad, seen, firsts, repeats = [], {}, [], 0
    part_of = {}
    routes = collections.Counter()
    routes["topics"] = set()
    out = open(a.prefix + ".values", "w")
    for m in msgs:
        v = json.loads(m["value"])
        sid = headers_ok(m, v, bad)
        if a.routing:
            routing_ok(m, v, a.partitions, bad, routes)
        else:
            default_key_ok(m, v, bad)
            if part_of.setdefault((m["topic"], m["key"]),
                                  m["partition"]) != m["partition"]:
                bad.append("key %r in two partitions" % m["key"])
        if sid in seen:
            repeats += 1
            if seen[sid] != m["value"]:
                bad.append("source-id %s repeated with another value" % sid)
            continue
        seen[sid] = m["value"]
        firsts.append((m["topic"], m["key"], sid[:16], int(sid[16:] or "0", 16),
                       v.get("@timestamp", ""), v.get("spiffe_id")))
        out.write(json.dumps(v) + "\n")
    if not a.routing:
        order_ok(firsts, bad)
    open(a.prefix + ".repeats", "w").write("%d\n" % repeats)
    if a.routing:
        routes["topics"] = len(routes["topics"])
        json.dump(routes, open(a.prefix + ".routes", "w"))
    counts = collections.Counter(bad)
    for b in sorted(counts)[:5]:
        print("#   %s%s" % (b, " (x%d)" % counts[b] if counts[b] > 1 else ""))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
