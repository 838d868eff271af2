#!/usr/bin/env python3
"""lines.py - hostile input and damaged state for spire-shipper's fault
tests, each with the exact counts a test compares the shipper against.

  many DIR N K [FROM]       append lines FROM..FROM+K-1 (logrus JSON, CRI)
                            to N files; the msg of each names it: "f12 l3"
  want N K [FROM] [TIMES] [FILE...]
                            "msg<TAB>times" for those lines (of FILEs only)
  compare OUT WANT [--whole-files K]
                            OUT's records are exactly the WANT multiset; or,
                            with --whole-files, each file present has all
                            its lines once (files missing are allowed)
  hostile DIR               lines of every hostile kind (NUL bytes, invalid
                            UTF-8, nesting 10,000 deep...) and
                            DIR/expected.json (lines, parse errors by kind)
  huge DIR MB               three lines of MB megabytes (CRI and Docker on
                            one physical line, CRI split into 16 KiB
                            partials), between ordinary lines
  valid OUT                 every line valid UTF-8 JSON? prints the count
  metric PORT NAME [LABEL=VALUE...]
                            a sample of /metrics (summed over matches)
  port                      a free TCP port on 127.0.0.1
  get PORT PATH             GET a path of 127.0.0.1:PORT: its status and body
  chunks DIR [--whole]       the buffer's chunk files: frames and their _id;
                            --whole: exit 1 unless each has its magic and
                            ends with its last good frame
  damage DIR OUT            damages four chunk files four ways; OUT gets
                            {"ids": every _id before, "lost": the _ids
                            whose frames were damaged, "damaged": files}
  posdamage POS             damages two lines of a pos file (one torn, one
                            with a flipped digit), adds a line of zeros;
                            prints the file numbers of the damaged lines
  docids PORT INDEX         the _ids Elasticsearch (the emulator) holds
  docs PORT INDEX           its documents, as NDJSON

Python 3 standard library only.
"""

import collections
import json
import os
import re
import socket
import struct
import sys
import urllib.error
import urllib.request
import zlib

TIME = b"2024-05-01T08:00:00.000000001Z"
MAGIC = b"SSCHUNK1"


def record(msg, level=b"error"):
    return (b'{"level":"' + level + b'","msg":"' + msg +
            b'","time":"2024-05-01T08:00:00Z"}')


def cri(body, stream=b"stdout", tag=b"F", t=TIME):
    return t + b" " + stream + b" " + tag + b" " + body + b"\n"


def docker(log, stream=b"stdout"):
    return (b'{"log":"' + log + b'\\n","stream":"' + stream +
            b'","time":"' + TIME + b'"}\n')


def file_name(i):
    return "spire-agent-f%05d_spire-system_spire-agent-%064x.log" % (i, i)


def msg_of(i, j):
    return "f%d l%d" % (i, j)


# --- many files -------------------------------------------------------------

def many(d, n, k, first=0):
    os.makedirs(d, exist_ok=True)
    for i in range(n):
        with open(os.path.join(d, file_name(i)), "ab") as f:
            f.write(b"".join(cri(record(msg_of(i, j).encode()))
                             for j in range(first, first + k)))
    print(n * k)


def want(n, k, first=0, times=1, files=None):
    for i in files if files else range(n):
        for j in range(first, first + k):
            print("%s\t%d" % (msg_of(i, j), times))


def read_out(out):
    seen = collections.Counter()
    bad = 0
    if os.path.exists(out):
        with open(out, "rb") as f:
            for raw in f:
                try:
                    seen[json.loads(raw.decode("utf-8"))["msg"]] += 1
                except (ValueError, KeyError):
                    bad += 1
    return seen, bad


def compare(out, wantfile, whole_files=None):
    seen, bad = read_out(out)
    expect = collections.Counter()
    with open(wantfile) as f:
        for line in f:
            m, t = line.rstrip("\n").split("\t")
            expect[m] += int(t)
    if whole_files is not None:
        files = collections.Counter(m.split()[0] for m in seen)
        expect = collections.Counter({m: c for m, c in expect.items()
                                      if m.split()[0] in files})
    wrong = sorted(m for m in set(seen) | set(expect) if seen[m] != expect[m])
    print(json.dumps({"records": sum(seen.values()),
                      "expected": sum(expect.values()),
                      "files": len({m.split()[0] for m in seen}),
                      "wrong": len(wrong), "invalid": bad,
                      "examples": ["%s: %d, want %d" % (m, seen[m], expect[m])
                                   for m in wrong[:5]]}))
    return 0 if not wrong and not bad else 1


# --- hostile lines ----------------------------------------------------------

def deep(n, open_, close):
    return open_ * n + (b"1" if open_ == b'{"a":' else b"") + close * n


def hostile(d):
    """(line, parse error kind or None); the kinds are README's."""
    nest = deep(10000, b'{"a":', b"}")
    cases = [
        (cri(record(b"plain")), None),
        (cri(record(b"a\x00b")), "embedded_nul"),
        (b"\x00" * 65536 + b"\n", "envelope"),       # what a crash leaves
        (cri(record(b"t"), t=b"2024-05-01T08:00:00.0000\x0000001Z"),
         "envelope"),
        (cri(record(b"caf\xc3 \xff\xfe")), "invalid_utf8"),
        (cri(record(b"\xc0\xaf \xe0\x80\xaf")), "invalid_utf8"),  # overlong
        (cri(record(b"\xed\xa0\x80")), "invalid_utf8"),           # surrogate
        (cri(b'{"level":"error","ms\xffg":"k","msg":"key",'
             b'"time":"2024-05-01T08:00:00Z"}'), "invalid_utf8"),
        (cri(record(b"s"), stream=b"std\xffout"), None),
        (cri(record(b"\\u0000")), None),             # an escaped NUL is JSON
        (cri(record(b"\\ud800x")), None),            # repaired on output
        (cri(b'{"level":"error","msg":"deep","x":' + nest + b"}"),
         "deep_nesting"),
        (cri(b'{"level":"error","msg":"deeparr","x":' +
             deep(10000, b"[", b"]") + b"}"), "deep_nesting"),
        (cri(deep(10000, b"[", b"]")), "foreign_text"),
        (cri(b'{"x":' + b"[" * 500000), "deep_nesting"),
        (cri(record(b"plain2")), None),
    ]
    dock = [
        (b'{"log":"x\\n","stream":"stdout","attrs":' + nest +
         b',"time":"' + TIME + b'"}\n', "envelope"),
        (docker(b'\\"' * 10 + b"\\u0000\\ud800 \xff"), "embedded_nul"),
        (docker(b"\x00\x00", stream=b"st\x00dout"), "embedded_nul"),
        (docker(b'{\\"level\\":\\"error\\",\\"msg\\":\\"d4\\"}'), None),
    ]
    os.makedirs(d, exist_ok=True)
    kinds = {k: 0 for k in ("empty", "oversized", "embedded_nul",
                            "invalid_utf8", "foreign_text", "deep_nesting",
                            "truncated", "syntax", "envelope")}
    for name, lines in (("spire-server-0_spire-system_spire-server-%064x.log"
                         % 1, cases),
                        ("spire-agent-x_spire-system_spire-agent-%064x.log"
                         % 2, dock)):
        with open(os.path.join(d, name), "wb") as f:
            for line, kind in lines:
                f.write(line)
                if kind:
                    kinds[kind] += 1
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump({"lines": len(cases) + len(dock), "kinds": kinds}, f)


def huge(d, mb):
    n = mb * 1024 * 1024
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "big-cri.log"), "wb") as f:
        f.write(cri(record(b"before cri")))
        f.write(cri(record(b"a" * n)))
        f.write(cri(record(b"after cri")))
    with open(os.path.join(d, "big-docker.log"), "wb") as f:
        f.write(docker(record(b"before docker").replace(b'"', b'\\"')))
        f.write(docker(b"b" * n))
        f.write(docker(record(b"after docker").replace(b'"', b'\\"')))
    with open(os.path.join(d, "big-split.log"), "wb") as f:
        f.write(cri(record(b"before split")))
        body = record(b"c" * n)
        for at in range(0, len(body), 16384):
            last = at + 16384 >= len(body)
            f.write(cri(body[at:at + 16384], tag=b"F" if last else b"P"))
        f.write(cri(record(b"after split")))


def valid(out):
    n = 0
    with open(out, "rb") as f:
        for raw in f:
            try:
                if not isinstance(json.loads(raw.decode("utf-8")), dict):
                    raise ValueError("not an object")
            except ValueError as ex:
                print("invalid line %d: %s" % (n + 1, ex), file=sys.stderr)
                return 1
            n += 1
    print(n)
    return 0


# --- metrics, ports ---------------------------------------------------------

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def metric(port, name, labels):
    want_labels = dict(kv.split("=", 1) for kv in labels)
    body = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % port,
                                  timeout=5).read().decode()
    total, found = 0.0, False
    for line in body.splitlines():
        m = SAMPLE.match(line)
        if not m or m.group(1) != name:
            continue
        have = dict(LABEL.findall(m.group(2) or ""))
        if all(have.get(k) == v for k, v in want_labels.items()):
            total += float(m.group(3))
            found = True
    if not found:
        print("no sample %s%s" % (name, labels), file=sys.stderr)
        return 1
    print(int(total) if total == int(total) else total)
    return 0


def get(port, path):
    try:
        r = urllib.request.urlopen("http://127.0.0.1:%s%s" % (port, path),
                                   timeout=5)
        status, body = r.status, r.read()
    except urllib.error.HTTPError as ex:
        status, body = ex.code, ex.read()
    print(status)
    sys.stdout.write(body.decode("utf-8", "replace"))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
    s.close()


# --- buffer chunks ----------------------------------------------------------

def frames(data):
    """(offset, length) of each frame that checks, from the magic on."""
    out, off = [], len(MAGIC)
    while off + 8 <= len(data):
        n, crc = struct.unpack_from("<II", data, off)
        payload = data[off + 8:off + 8 + n]
        if n == 0 or len(payload) < n or zlib.crc32(payload) != crc:
            break
        out.append((off, n))
        off += 8 + n
    return out


def entry_id(payload):
    return json.loads(payload.split(b"\n", 1)[0])["index"]["_id"]


def chunk_files(d):
    return sorted(os.path.join(d, f) for f in os.listdir(d)
                  if f.startswith("spire-shipper.") and f.endswith(".chunk"))


def chunks(d, whole=False):
    res = []
    for path in chunk_files(d):
        data = open(path, "rb").read()
        fr = frames(data)
        res.append({"file": path, "magic": data[:8] == MAGIC,
                    "frames": len(fr),
                    "whole": fr[-1][0] + 8 + fr[-1][1] == len(data)
                    if fr else len(data) <= 8,
                    "ids": [entry_id(data[o + 8:o + 8 + n]) for o, n in fr]})
    print(json.dumps(res))
    return 0 if not whole or all(c["magic"] and c["whole"] for c in res) else 1


def damage(d, out):
    """Four chunk files of at least three frames, damaged four ways."""
    paths = [p for p in chunk_files(d)
             if len(frames(open(p, "rb").read())) >= 3]
    if len(paths) < 4:
        print("need 4 chunk files of 3 frames, have %d" % len(paths),
              file=sys.stderr)
        return 1
    ids, lost = [], []
    for p in chunk_files(d):
        data = open(p, "rb").read()
        ids += [entry_id(data[o + 8:o + 8 + n]) for o, n in frames(data)]
    for how, p in zip(("payload", "length", "truncate", "magic"), paths):
        data = bytearray(open(p, "rb").read())
        fr = frames(bytes(data))
        ids_here = [entry_id(bytes(data[o + 8:o + 8 + n])) for o, n in fr]
        if how == "payload":        # one byte of the second frame's document
            o, n = fr[1]
            data[o + 8 + n - 5] ^= 0x20
            lost.append(ids_here[1])
        elif how == "length":       # the second byte of its length
            o, n = fr[1]
            data[o + 1] ^= 0x7f
            lost.append(ids_here[1])
        elif how == "truncate":     # half of its last frame gone
            o, n = fr[-1]
            del data[o + 8 + n // 2:]
            lost.append(ids_here[-1])
        else:                       # its magic, and nothing else
            data[3] ^= 0x01
        with open(p, "wb") as f:
            f.write(data)
    with open(out, "w") as f:
        json.dump({"ids": ids, "lost": lost, "damaged": paths}, f)
    return 0


# --- pos files ----------------------------------------------------------------

def posdamage(pos):
    with open(pos, "rb") as f:
        lines = f.read().split(b"\n")[:-1]
    if len(lines) < 3:
        print("need 3 pos lines, have %d" % len(lines), file=sys.stderr)
        return 1
    hit = []
    for k in (0, len(lines) - 1):
        hit.append(int(re.search(rb"-f(\d+)_", lines[k]).group(1)))
    path, off, ino = lines[0].split(b"\t")
    lines[0] = path + b"\t" + off[:5] + b"z" + off[6:] + b"\t" + ino
    lines.insert(1, b"\x00" * 40)
    lines[-1] = lines[-1][:lines[-1].index(b"\t") + 7]   # a torn write
    with open(pos, "wb") as f:
        f.write(b"\n".join(lines))
    print(" ".join(str(i) for i in hit))
    return 0


def emulator_docs(port, index):
    with urllib.request.urlopen("http://127.0.0.1:%s/_emulator/docs?index=%s"
                                % (port, index), timeout=30) as r:
        return json.load(r)


def docids(port, index):
    for i in sorted(emulator_docs(port, index)):
        print(i)


def docs(port, index):
    for src in emulator_docs(port, index).values():
        print(json.dumps(src))


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, a = argv[1], argv[2:]
    if cmd == "many":
        many(a[0], int(a[1]), int(a[2]), int(a[3]) if len(a) > 3 else 0)
    elif cmd == "want":
        want(int(a[0]), int(a[1]), int(a[2]) if len(a) > 2 else 0,
             int(a[3]) if len(a) > 3 else 1, [int(x) for x in a[4:]])
    elif cmd == "compare":
        return compare(a[0], a[1], int(a[3]) if len(a) > 3 and
                       a[2] == "--whole-files" else None)
    elif cmd == "hostile":
        hostile(a[0])
    elif cmd == "huge":
        huge(a[0], int(a[1]))
    elif cmd == "valid":
        return valid(a[0])
    elif cmd == "metric":
        return metric(a[0], a[1], a[2:])
    elif cmd == "port":
        free_port()
    elif cmd == "get":
        get(a[0], a[1])
    elif cmd == "chunks":
        return chunks(a[0], a[1:] == ["--whole"])
    elif cmd == "damage":
        return damage(a[0], a[1])
    elif cmd == "posdamage":
        return posdamage(a[0])
    elif cmd == "docids":
        docids(a[0], a[1])
    elif cmd == "docs":
        docs(a[0], a[1])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
