#!/usr/bin/env python3
"""follow.py — the follow-mode scenarios of the benchmark.

  follow.py append --src FILE --dir D --files 100 --lines N --out OUT --expect K
      appends N lines of FILE, shared round-robin in chunks over the files
      D/*.log (created beforehand), as fast as it can, then waits until OUT
      holds K lines; prints "latency_s X lines L bytes B".
  follow.py idle --pid P --seconds S
      prints the CPU seconds process P used over S seconds ("cpu_s X");
      with --seconds 0, the CPU seconds it used so far.
  follow.py rss --pid P --seconds S --interval I --warmup W --series TSV
      samples P's VmRSS (and RssAnon, RssFile, CPU) every I seconds for S
      seconds into TSV; prints the samples after the first W seconds:
      "samples N min_kb A max_kb B delta_kb C first_kb D last_kb E
      cpu_s X".
"""
import argparse
import os
import sys
import time

CHUNK = 64  # lines written to one file before moving to the next


def lines_in(path):
    try:
        with open(path, 'rb') as f:
            return f.read().count(b'\n')
    except FileNotFoundError:
        return 0


def append(a):
    with open(a.src, 'rb') as f:
        lines = [f.readline() for _ in range(a.lines)]
    names = sorted(os.path.join(a.dir, n) for n in os.listdir(a.dir)
                   if n.endswith('.log'))[:a.files]
    outs = [open(n, 'ab', buffering=0) for n in names]
    nbytes = 0
    for i in range(0, len(lines), CHUNK):
        data = b''.join(lines[i:i + CHUNK])
        outs[(i // CHUNK) % len(outs)].write(data)
        nbytes += len(data)
    last_write = time.monotonic()
    for o in outs:
        o.close()
    deadline = last_write + a.timeout
    while lines_in(a.out) < a.expect:
        if time.monotonic() > deadline:
            sys.exit('follow.py: %s has %d lines, want %d'
                     % (a.out, lines_in(a.out), a.expect))
        time.sleep(0.005)
    print('latency_s %.3f lines %d bytes %d'
          % (time.monotonic() - last_write, len(lines), nbytes))


def cpu_of(pid):
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def idle(a):
    before = cpu_of(a.pid) if a.seconds else 0
    time.sleep(a.seconds)
    print('cpu_s %.3f' % (cpu_of(a.pid) - before))


def status_kb(pid):
    kb = {}
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            k, _, v = line.partition(':')
            if k in ('VmRSS', 'RssAnon', 'RssFile'):
                kb[k] = int(v.split()[0])
    return kb


def rss(a):
    start = time.monotonic()
    kept = []
    with open(a.series, 'w') as out:
        out.write('t_s\tvmrss_kb\trss_anon_kb\trss_file_kb\tcpu_s\n')
        n = 0
        while True:
            t = time.monotonic() - start
            kb, cpu = status_kb(a.pid), cpu_of(a.pid)
            out.write('%.1f\t%d\t%d\t%d\t%.2f\n' % (
                t, kb['VmRSS'], kb['RssAnon'], kb['RssFile'], cpu))
            out.flush()
            if t >= a.warmup:
                kept.append((kb['VmRSS'], cpu))
            n += 1
            if n * a.interval > a.seconds:
                break
            time.sleep(max(0.0, start + n * a.interval - time.monotonic()))
    v = [r for r, _ in kept]
    print('samples %d min_kb %d max_kb %d delta_kb %d first_kb %d last_kb %d '
          'cpu_s %.2f' % (len(v), min(v), max(v), max(v) - min(v), v[0], v[-1],
                          kept[-1][1] - kept[0][1]))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest='cmd', required=True)
    ap = sub.add_parser('append')
    ap.add_argument('--src', required=True)
    ap.add_argument('--dir', required=True)
    ap.add_argument('--files', type=int, default=100)
    ap.add_argument('--lines', type=int, required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--expect', type=int, required=True)
    ap.add_argument('--timeout', type=float, default=120)
    ip = sub.add_parser('idle')
    ip.add_argument('--pid', type=int, required=True)
    ip.add_argument('--seconds', type=float, required=True)
    rp = sub.add_parser('rss')
    rp.add_argument('--pid', type=int, required=True)
    rp.add_argument('--seconds', type=float, required=True)
    rp.add_argument('--interval', type=float, default=5)
    rp.add_argument('--warmup', type=float, default=60)
    rp.add_argument('--series', required=True)
    a = p.parse_args()
    {'append': append, 'idle': idle, 'rss': rss}[a.cmd](a)


if __name__ == '__main__':
    main()
