#!/usr/bin/env python3
"""seeds.py -- writes the fuzz targets' seed corpora, tests/fuzz/corpus/<target>/.

Seeds are small real inputs the fuzzer starts from: lines of the shared
SPIRE corpus (../shared/corpus/sample, see its README), the lines of
tests/data/cases, the Kubernetes objects of tests/data/kube, the example
configurations and a few built here (bulk responses, pos files, chunk
files). Deterministic: the same inputs give the same files, named by a
hash of their content. Run it from anywhere; it replaces the seed files
it writes (crash-* reproducers are kept).

    tests/fuzz/seeds.py [--shared DIR]
"""
import argparse
import ast
import glob
import gzip
import hashlib
import json
import os
import re
import struct
import zlib

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(TOP, "tests", "fuzz", "corpus")
PER_TARGET = 60		# seeds from the shared corpus, per target
MAX_SEED = 4096		# bytes: longer lines are left out

CRI_RE = re.compile(rb"^\d{4}-\d\d-\d\dT\S+ \S+ [PF]\S* ")


def physical_lines(shared):
    """Every line of the sample's log files, plain and gzipped, in order."""
    lines = []
    for path in sorted(glob.glob(os.path.join(shared, "*.log*"))):
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rb") as f:
            lines.extend(f.read().split(b"\n"))
    return [l for l in lines if 0 < len(l) <= MAX_SEED]


def case_lines():
    """The input lines of tests/data/cases (\\x{HH...} unescaped)."""
    out = []
    for path in sorted(glob.glob(os.path.join(TOP, "tests/data/cases/*.case"))):
        with open(path, "rb") as f:
            text = f.read()
        m = re.search(rb"^input:\n(.*?)^expect:", text, re.S | re.M)
        if not m:
            continue
        for line in m.group(1).split(b"\n"):
            line = re.sub(rb"\\x\{([0-9a-fA-F]+)\}",
                          lambda h: bytes.fromhex(h.group(1).decode()), line)
            if line and len(line) <= MAX_SEED:
                out.append(line)
    return out


def inner(line):
    """The line a runtime envelope carries, or None."""
    if CRI_RE.match(line):
        return line.split(b" ", 3)[3] if line.count(b" ") >= 3 else b""
    try:
        log = json.loads(line).get("log")
    except (ValueError, AttributeError):
        return None
    return log.encode("utf-8", "surrogatepass").rstrip(b"\n") if isinstance(log, str) else None


def spread(items, n):
    """n of the items, evenly spaced, duplicates removed."""
    items = list(dict.fromkeys(items))
    if len(items) <= n:
        return items
    return [items[i * len(items) // n] for i in range(n)]


def c_strings(path):
    """The `static const char NAME[] = "..." "...";` of a C test file."""
    with open(path) as f:
        src = f.read()
    out = []
    for m in re.finditer(r'static const char \w+\[\] =((?:\s*"(?:[^"\\]|\\.)*")+);', src):
        lits = re.findall(r'"(?:[^"\\]|\\.)*"', m.group(1))
        out.append("".join(ast.literal_eval(l) for l in lits).encode())
    return out


def frame(payload):
    return struct.pack("<II", len(payload), zlib.crc32(payload)) + payload


def write(target, seeds):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    for f in glob.glob(os.path.join(d, "seed-*")):
        os.unlink(f)
    for s in dict.fromkeys(seeds):
        with open(os.path.join(d, "seed-" + hashlib.sha1(s).hexdigest()[:16]), "wb") as f:
            f.write(s)
    print("%-8s %4d seeds" % (target, len(dict.fromkeys(seeds))))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(TOP, "..", "shared", "corpus", "sample"))
    args = ap.parse_args()

    lines = physical_lines(args.shared) if os.path.isdir(args.shared) else []
    if not lines:
        print("seeds.py: no shared corpus at %s: only the repository's inputs" % args.shared)
    lines += case_lines()
    cri = [l for l in lines if CRI_RE.match(l)]
    docker = [l for l in lines if l.startswith(b"{")]
    other = [l for l in lines if l not in cri and l not in docker]
    inners = [i for i in (inner(l) for l in lines) if i is not None]
    jsonl = [i for i in inners if i.lstrip().startswith(b"{")]
    text = [i for i in inners if not i.lstrip().startswith(b"{")]

    write("cri", spread(cri, PER_TARGET) + spread(other, 10))
    write("docker", spread(docker, PER_TARGET) + spread(other, 10))
    write("json", spread(jsonl, PER_TARGET) + spread(text, 5))
    write("logfmt", spread(text, PER_TARGET) + spread(jsonl, 5))

    # Times as the runtimes and SPIRE write them, and format NUL text pairs
    # from the unit tests.
    times = [l.split(b" ", 1)[0] for l in cri]
    times += [m for l in inners for m in re.findall(rb'time"?[=:]"([^"]{1,40})"', l)]
    with open(os.path.join(TOP, "tests/unit/test_timefmt.c")) as f:
        pairs = re.findall(r'pfmt\(("(?:[^"\\]|\\.)*"), ("(?:[^"\\]|\\.)*")', f.read())
    fmts = [ast.literal_eval(a).encode() + b"\0" + ast.literal_eval(b).encode() for a, b in pairs]
    write("time", spread(times, 30) + fmts)

    bulk = c_strings(os.path.join(TOP, "tests/unit/test_es_bulk.c"))
    bulk += [
        b'{"took":1,"errors":false,"items":[]}',
        b'{"took":2,"errors":true,"items":[{"index":{"_index":"i","_id":"x","status":400,'
        b'"error":"MapperParsingException[failed to parse]"}}]}',
        b'{"error":{"root_cause":[{"type":"index_not_found_exception"}],'
        b'"type":"index_not_found_exception","reason":"no such index"},"status":404}',
        b'<html><body><h1>502 Bad Gateway</h1></body></html>',
        b'{"took":3,"errors":false,"items":[{"delete":{"_index":"i","_id":"d","status":404,'
        b'"result":"not_found"}},{"update":{"_id":"u","status":200}}]',
    ]
    write("es_bulk", bulk)

    kube = []
    for path in sorted(glob.glob(os.path.join(TOP, "tests/data/kube/*"))):
        with open(path, "rb") as f:
            data = f.read()
        kube += [l for l in data.split(b"\n") if l] if path.endswith(".ndjson") else [data]
    kube += [b"/var/log/pods/spire-system_spire-agent-pbwjc_aaaaaaaa-0000-4000-8000-000000000001/spire-agent/0.log",
             b"spire-system_spire-server-0_bbbbbbbb-1111/spire-server/3.log.20240501-080000.gz"]
    write("kube", kube)

    confs = sorted(glob.glob(os.path.join(TOP, "templates/*.conf")) +
                   glob.glob(os.path.join(TOP, "tests/data/*.conf")) +
                   glob.glob(os.path.join(TOP, "tests/data/fluentd-configs/*/*.conf")))
    config = []
    for path in confs:
        with open(path, "rb") as f:
            # The target skips any input naming an include.
            config.append(b"\n".join(l for l in f.read().split(b"\n") if b"include" not in l))
    write("config", config)

    a = b"/var/log/containers/spire-server-0_spire-system_spire-server-fbff48fd.log"
    b = b"/var/log/containers/spire-agent-9thrl_spire-system_spire-agent-3616a0b9.log"
    posfile = [
        a + b"\t00000000004c1b3e\t000000000000a3f2\n" + b + b"\t0000000000000000\t00ffffffffffffff\n",
        a + b"\tffffffffffffffff\t000000000000a3f2\n" + a + b"\t1F\tAb\n",
        b"garbage\n\n/g with spaces\t10\t11\r\n/h\t0000000000000001",
        a + b"\t0000000000000010\t0000000000000001\n\0" + a + b"\t1234abcd5678ef00\t0000000000000001\n",
    ]
    write("posfile", posfile)

    # chunk: byte 0 odd = the rest is the file; even = cut and change
    # (bytes 1, 2) the frames of the newline-separated records after them.
    recs = spread(jsonl, 6)
    frames = b"".join(frame(r) for r in recs)
    chunk = [
        b"\x01SSCHUNK1" + frames,
        b"\x01SSCHUNK1" + frames[:-7],
        b"\x01SSCHUNK1",
        b"\x01SSCH",
        b"\x01NOTCHUNK" + frames,
        b"\x00\xff\xff" + b"\n".join(recs),
        b"\x02\x01\x30" + b"\n".join(recs),
        b"\x00\x00\x40" + b"\n\n",
    ]
    write("chunk", chunk)

    # regex: flags byte, a Ruby pattern, NUL, a subject: the patterns of
    # test_regex_ruby.c's table, the example configurations' and the
    # tail parsers', each against a line it should meet.
    with open(os.path.join(TOP, "tests/unit/test_regex_ruby.c")) as f:
        rows = re.findall(r'^\t\{ ("(?:[^"\\]|\\.)*"), (?:false|true)', f.read(), re.M)
    pats = [ast.literal_eval(r).encode() for r in rows]
    for path in confs:
        with open(path, "rb") as f:
            pats += re.findall(rb"^\s*(?:expression|format_firstline|format\d+|pattern)\s+/(.*)/[imx]*\s*$",
                               f.read(), re.M)
    pats += c_strings(os.path.join(TOP, "shipper/source_parse.c"))
    subjects = spread(other + text, 8) or [b"I0204 07:32:30.020537 3368 server.go:1048] x"]
    regex = [bytes([i % 8]) + p + b"\0" + subjects[i % len(subjects)]
             for i, p in enumerate(dict.fromkeys(pats))]
    write("regex", regex)

    print("total", sum(os.path.getsize(p) for p in glob.glob(os.path.join(OUT, "*/*"))), "bytes")


if __name__ == "__main__":
    main()
