#!/usr/bin/env python3
"""outcount.py - check spire-shipper's NDJSON output against spire_loggen's ground truth.

Usage: outcount.py [--expected expected_kept.tsv] [--audit] [--bad-key K] [--show N] FILE...

Reads NDJSON output files (plain, .gz, or - for stdin). Every line must be
valid UTF-8 and a JSON object. A record has at least `level` (ERROR, WARN,
INFO, DEBUG), `level_raw` (logrus' level), `msg`, `@timestamp` (RFC 3339,
9 fraction digits, UTC) and, for audit records, `type` = "audit". Records
carrying a --bad-key field (default "parse_error": a bad input line the
shipper kept as data) are counted apart and not compared.

Prints a JSON summary on stdout. With --expected, compares the multiset of
(level_raw, time in ns UTC, sha1 of msg, audit) with the tsv: rows at
warning/error always, audit rows at other levels only with --audit (the
shipper was configured to keep audit records too). Without --expected,
`duplicates` counts records identical to an earlier one as whole objects.

Exit status 0 only when there are no invalid lines, incomplete records,
level/timestamp format errors, duplicates, missing or unexpected records.
Python 3 standard library only.
"""

import argparse
import calendar
import collections
import gzip
import hashlib
import json
import re
import sys

NORMAL = {"trace": "TRACE", "debug": "DEBUG", "info": "INFO", "warning": "WARN", "warn": "WARN",
          "error": "ERROR", "fatal": "FATAL", "panic": "PANIC"}
TIME_RX = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|([+-])(\d\d):(\d\d))$")
OUT_TIME_RX = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$")


def to_ns(t):
    """RFC 3339 (any fraction, Z or offset) -> integer nanoseconds UTC; None if malformed."""
    m = TIME_RX.match(t) if isinstance(t, str) else None
    if not m:
        return None
    y, mo, d, h, mi, s = (int(x) for x in m.group(1, 2, 3, 4, 5, 6))
    ns = calendar.timegm((y, mo, d, h, mi, s)) * 10**9 + int((m.group(7) or "0").ljust(9, "0"))
    if m.group(8) != "Z":
        off = (int(m.group(10)) * 60 + int(m.group(11))) * 60 * 10**9
        ns += -off if m.group(9) == "+" else off
    return ns


def sha1(s):
    return hashlib.sha1(s.encode("utf-8", "surrogatepass")).hexdigest()


def open_input(path):
    if path == "-":
        return sys.stdin.buffer
    return gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")


class Summary:
    def __init__(self, bad_keys):
        self.bad_keys = bad_keys
        self.records = 0
        self.by_level = collections.Counter()
        self.audit = 0
        self.invalid_lines = 0
        self.incomplete = 0
        self.bad_records = 0
        self.level_mismatch = 0
        self.bad_timestamp = 0
        self.keys = collections.Counter()   # (level_raw, ns, sha1(msg), audit)
        self.whole = collections.Counter()  # canonical JSON of every record
        self.examples = collections.defaultdict(list)

    def note(self, what, detail, show):
        if len(self.examples[what]) < show:
            self.examples[what].append(detail)

    def line(self, raw, where, show):
        try:
            obj = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            self.invalid_lines += 1
            self.note("invalid_lines", "%s: %r" % (where, raw[:160]), show)
            return
        if not isinstance(obj, dict):
            self.invalid_lines += 1
            self.note("invalid_lines", "%s: not an object" % where, show)
            return
        self.records += 1
        if isinstance(obj.get("level"), str):
            self.by_level[obj["level"]] += 1
        self.audit += obj.get("type") == "audit"
        self.whole[json.dumps(obj, sort_keys=True)] += 1
        if any(k in obj for k in self.bad_keys):
            self.bad_records += 1
            return
        self.record(obj, where, show)

    def record(self, obj, where, show):
        lr, msg, ts = obj.get("level_raw"), obj.get("msg"), obj.get("@timestamp")
        ns = to_ns(ts)
        if not isinstance(lr, str) or not isinstance(msg, str) or ns is None:
            self.incomplete += 1
            self.note("incomplete", "%s: %s" % (where, json.dumps(obj)[:200]), show)
            return
        if obj.get("level") != NORMAL.get(lr):
            self.level_mismatch += 1
            self.note("level_mismatch", "%s: level=%r level_raw=%r" % (where, obj.get("level"), lr), show)
        if not OUT_TIME_RX.match(ts):
            self.bad_timestamp += 1
            self.note("bad_timestamp", "%s: %r" % (where, ts), show)
        self.keys[(lr, ns, sha1(msg), int(obj.get("type") == "audit"))] += 1


def read_expected(path, with_audit):
    exp = collections.Counter()
    with open(path, encoding="utf-8") as fh:
        for n, row in enumerate(fh, 1):
            level, t, digest, audit = row.rstrip("\n").split("\t")
            if level in ("warning", "error") or (with_audit and audit == "1"):
                ns = to_ns(t)
                if ns is None:
                    sys.exit("%s:%d: bad time %r" % (path, n, t))
                exp[(level, ns, digest, int(audit))] += 1
    return exp


def compare(got, exp):
    dup = missing = unexpected = 0
    for k in set(got) | set(exp):
        g, e = got.get(k, 0), exp.get(k, 0)
        if e == 0:
            unexpected += g
        elif g > e:
            dup += g - e
        else:
            missing += e - g
    return dup, missing, unexpected


def examples(got, exp, show):
    miss = [k for k in exp if got.get(k, 0) < exp[k]][:show]
    unexp = [k for k in got if k not in exp][:show]
    dup = [k for k in got if 0 < exp.get(k, 0) < got[k]][:show]
    return {"missing": miss, "unexpected": unexp, "duplicates": dup}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--expected", help="expected_kept.tsv written by spire_loggen.py")
    p.add_argument("--audit", action="store_true", help="the shipper also keeps audit records")
    p.add_argument("--bad-key", action="append", default=None,
                   help="field marking a kept bad input line (repeatable; default parse_error)")
    p.add_argument("--show", type=int, default=5, help="examples of each problem printed on stderr")
    a = p.parse_args(argv)
    s = Summary(a.bad_key or ["parse_error"])
    for path in a.files:
        with open_input(path) as fh:
            for n, raw in enumerate(fh, 1):
                s.line(raw[:-1] if raw.endswith(b"\n") else raw, "%s:%d" % (path, n), a.show)
    out = {"records": s.records, "by_level": dict(sorted(s.by_level.items())), "audit": s.audit,
           "invalid_lines": s.invalid_lines, "incomplete": s.incomplete, "bad_records": s.bad_records,
           "level_mismatch": s.level_mismatch, "bad_timestamp": s.bad_timestamp}
    if a.expected:
        exp = read_expected(a.expected, a.audit)
        out["expected"] = sum(exp.values())
        out["duplicates"], out["missing"], out["unexpected"] = compare(s.keys, exp)
        ex = examples(s.keys, exp, a.show)
    else:
        out["duplicates"] = sum(n - 1 for n in s.whole.values() if n > 1)
        out["missing"] = out["unexpected"] = 0
        ex = {}
    print(json.dumps(out, sort_keys=True))
    for what, items in list(s.examples.items()) + list(ex.items()):
        for item in items:
            print("%s: %s" % (what, item), file=sys.stderr)
    bad = sum(out[k] for k in ("invalid_lines", "incomplete", "level_mismatch", "bad_timestamp",
                               "duplicates", "missing", "unexpected"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
