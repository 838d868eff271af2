#!/usr/bin/env python3
"""report.py — renders bench.sh's results.tsv as tests/bench/RESULTS.md.

Each row of results.tsv is one timed process: scenario, program, CPU s,
wall s, peak RSS KiB, lines, bytes, extra. Shown per scenario and program:
median and min-max over the runs. The hand-written notes (tests/bench/
notes.md: what changed on the hot path, before and after), the profile
summary and the last `make bench-follow-rss` (follow-rss.md) are appended
as they are.
"""
import argparse
import datetime
import os
import platform
import statistics
import subprocess

SCENARIOS = {
    '1': '1. backfill, Docker json-file, DESIGN pipeline + spire filter, `@type file`',
    '1c': '1c. the same, CRI envelope',
    '2': '2. backfill from .gz',
    '3': '3. backfill into the Elasticsearch emulator (shipper process only)',
    '4': '4. follow 100 files appended at once',
    '5': '5. idle node, 100 files',
}


def cmd(*argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True,
                              timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ''


def spread(vals, fmt):
    vals = [v for v in vals if v is not None]
    if not vals:
        return ''
    m = statistics.median(vals)
    if len(vals) == 1:
        return fmt % m
    return (fmt + ' (' + fmt + '–' + fmt + ')') % (m, min(vals), max(vals))


def num(s):
    return float(s) if s not in ('', None) else None


def docs_per_s(rs):
    """Documents per wall second of rows whose extra is 'docs N'."""
    return [float(r[7].split()[1]) / num(r[3]) for r in rs
            if r[7].startswith('docs ') and num(r[3])]


def machine():
    model = ''
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    model = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    return '%s, %d CPUs, %s %s' % (model or platform.processor(),
                                   os.cpu_count() or 0, platform.system(),
                                   platform.release())


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--raw', required=True)
    p.add_argument('--runs', required=True)
    p.add_argument('--lines', required=True)
    p.add_argument('--shipper', required=True)
    p.add_argument('--rsyslogd', default='')
    p.add_argument('--profile', default='')
    a = p.parse_args()
    rows = {}
    with open(a.raw) as f:
        for line in f:
            c = line.rstrip('\n').split('\t')
            rows.setdefault((c[0], c[1]), []).append(c)

    here = os.path.dirname(os.path.abspath(__file__))
    out = []
    w = out.append
    w('# spire-shipper benchmark results')
    w('')
    w('Written by `make bench` (tests/bench/bench.sh); do not edit by hand '
      'except tests/bench/notes.md, appended below.')
    w('')
    w('- date: %s' % datetime.datetime.now(datetime.timezone.utc)
      .strftime('%Y-%m-%d %H:%M UTC'))
    w('- machine: %s (shared: other builds ran at the same time, so compare '
      'medians and ratios within this run)' % machine())
    w('- spire-shipper: %s (%s)' % (cmd(a.shipper, '--version') or '?',
                                   cmd('git', '-C', here, 'describe',
                                       '--always', '--dirty') or '?'))
    if a.rsyslogd:
        w('- peer: %s' % cmd(a.rsyslogd, '-v').splitlines()[0].split(' compiled')[0])
    w('- yajl: %s; runs per row: %s; corpus: %s lines from tests/gen/'
      'spire_loggen.py --seed 1 --files 1 --inner json --bad-rate 0 (about '
      '5%% warning/error), page cache warmed before every run'
      % (cmd('dpkg-query', '-W', '-f', '${Version}', 'libyajl2') or '?',
         a.runs, a.lines))
    w('')
    w('CPU s = user + system of the whole process (GNU time); lines/CPU-s '
      'and MB/s (of wall time) from the medians; RSS = peak resident set. '
      'Each cell: median (min–max).')
    w('')
    w('| scenario | program | CPU s | wall s | lines per CPU-s | MB/s | '
      'peak RSS MiB | other |')
    w('|---|---|---|---|---|---|---|---|')
    for scen in SCENARIOS:
        for (s, prog), rs in rows.items():
            if s != scen:
                continue
            cpu = [num(r[2]) for r in rs]
            wall = [num(r[3]) for r in rs]
            rss = [num(r[4]) / 1024 if r[4] else None for r in rs]
            lines, nbytes = num(rs[0][5]) or 0, num(rs[0][6]) or 0
            lps = [lines / c for c in cpu if lines and c]
            mbs = [nbytes / 1e6 / x for x in wall if nbytes and x]
            extra = ''
            if scen == '4':
                extra = 'last write → last record: ' + spread(
                    [float(r[7].split()[1]) for r in rs], '%.3f') + ' s'
            elif scen == '5':
                extra = 'CPU s per minute: ' + spread(
                    [float(r[7].split()[1]) for r in rs], '%.4f')
            elif scen == '3':
                extra = 'documents/s (wall): ' + spread(docs_per_s(rs), '%.0f')
            w('| %s | %s | %s | %s | %s | %s | %s | %s |' % (
                SCENARIOS[scen] if prog == rs[0][1] else '', prog,
                spread(cpu, '%.2f'), spread(wall, '%.2f'),
                spread(lps, '%.0f'), spread(mbs, '%.0f'),
                spread(rss, '%.1f'), extra))
    w('')

    def med_cpu(scen, prefix):
        for (s, prog), rs in rows.items():
            if s == scen and prog.startswith(prefix):
                return statistics.median(float(r[2]) for r in rs)
        return None
    ours, peer, floor = (med_cpu('1', 'spire-shipper'), med_cpu('1', 'rsyslog'),
                         med_cpu('1', 'floor'))
    if ours:
        w('Scenario 1: %.0f lines per CPU-second.' % (float(a.lines) / ours))
        if peer:
            w('rsyslog spends %.1fx the CPU of spire-shipper on it.' % (peer / ours))
        if floor:
            w('spire-shipper spends %.2fx the CPU of parsing both JSON levels '
              'with yajl alone.' % (ours / floor))
        w('')
    es = {prog: statistics.median(docs_per_s(rs)) for (s, prog), rs in rows.items()
          if s == '3' and docs_per_s(rs)}
    if 'spire-shipper' in es and len(es) == 2:
        alone = [v for p, v in es.items() if p != 'spire-shipper'][0]
        w('Scenario 3: %.0f documents/s into the emulator (wall); the emulator '
          'alone takes the same bulks at %.0f/s: indexing them is %.0f%% of the '
          "shipper's wall time, the rest its reading and parsing (and the "
          'template requests before the first bulk).' % (
              es['spire-shipper'], alone, 100 * es['spire-shipper'] / alone))
        w('')
    for extra in (a.profile, os.path.join(here, 'follow-rss.md'),
                  os.path.join(here, 'notes.md')):
        if extra and os.path.exists(extra):
            with open(extra) as f:
                w(f.read().rstrip('\n'))
            w('')
    print('\n'.join(out))


if __name__ == '__main__':
    main()
