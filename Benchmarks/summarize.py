#!/usr/bin/env python3
"""Turn Benchmarks/run.sh results into table.md + summary.json.

Usage: python3 summarize.py RESULTS_DIR [SCALE_RESULTS_DIR]

Per bench: median wall (hyperfine), min-max, lines/s and MB/s of the input (uncompressed bytes for
.gz inputs), peak RSS (one GNU time run), CPU % ((user+sys)/wall, hyperfine means), and what it
computed. Ratios are throughput ratios harborwatch/peer (> 1: harborwatch is faster), each from
two medians of the same run.
"""
import glob
import json
import os
import re
import statistics
import sys

WHAT = {
    'cat_proxy': 'read the Harbor proxy log, discard (page-cache copy floor)',
    'wc_l_proxy': 'count newlines of the Harbor proxy log',
    'zcat_proxy': 'gunzip the Harbor proxy log (gzip 1.12, one thread)',
    'pigz_d_proxy': 'gunzip the Harbor proxy log with pigz',
    'hw_parse_proxy': 'harborwatch parse --count: syslog prefix + timed_combined, every field, URI routing',
    'hw_parse_proxy_gz': 'the same from the .gz',
    'cat_access': 'read the plain combined log, discard',
    'zcat_access': 'gunzip the plain combined log',
    'hw_parse_access': 'harborwatch parse --count on the plain combined log (format sniffed)',
    'hw_parse_access_gz': 'the same from the .gz',
    'cat_twosite': 'read the four two-site files, discard',
    'zcat_twosite': 'gunzip the four two-site files',
    'hw_parse_twosite': 'harborwatch parse --count on the two-site data (nginx + logrus + access lines)',
    'hw_analyze': 'harborwatch analyze --format json: 2 sites, merge in event time, stitch, 5 detectors + 3 user rules (sources parsed on threads of their own)',
    'hw_analyze_1t': 'the same with --single-thread: read, parse and correlate on one core',
    'hw_analyze_gz': 'the same from the .gz copies',
    'hw_analyze_access_1t': 'harborwatch analyze --single-thread --format json on the peers\' access.log: one site, every detector and user rule, one core',
    'awk_401': "mawk: split on blanks, count $9==401",
    'python_re': 'Python re: one 15-group regex per line, count by status, sum bytes',
    'lnav': 'lnav: load + index (access_log), SQLite count of 401',
    'sec': 'SEC: Perl regex per line, SingleWithThreshold 401/IP/60 s',
    'mtail': 'mtail: RE2 over the first 6 fields, counter by status, sum bytes',
    'goaccess': 'GoAccess: parse every field + date/time, 11 panels, JSON report',
}
ORDER = ['cat_proxy', 'wc_l_proxy', 'zcat_proxy', 'pigz_d_proxy', 'hw_parse_proxy', 'hw_parse_proxy_gz',
         'cat_access', 'zcat_access', 'hw_parse_access', 'hw_parse_access_gz',
         'cat_twosite', 'zcat_twosite', 'hw_parse_twosite', 'hw_analyze', 'hw_analyze_1t', 'hw_analyze_gz',
         'hw_analyze_access_1t', 'awk_401', 'python_re', 'lnav', 'sec', 'mtail', 'goaccess']
INPUT_NAME = {'proxy': 'harbor-proxy.log', 'access': 'access.log', 'twosite': 'twosite (4 files)'}


def shared_computed():
    d = os.environ.get('SHARED_BENCH') or '/work/shared/bench'
    if os.path.exists(os.path.join(d, 'summarize.py')):
        sys.path.insert(0, d)
        try:
            import summarize as shared  # noqa
            return shared.computed
        except Exception:  # noqa
            return None
    return None


def parse_summary(err):
    m = re.search(r'harborwatch: (\d+) sources?, (\d+) lines, (\d+) events, (\d+) skipped, (\d+) malformed', err)
    if not m:
        return None
    return dict(sources=int(m.group(1)), lines=int(m.group(2)), events=int(m.group(3)),
                skipped=int(m.group(4)), malformed=int(m.group(5)))


def findings_by_detector(report):
    out = {}
    for f in report.get('findings', []):
        out[f['detector']] = out.get(f['detector'], 0) + 1
    return out


def computed(res, name, manifest, shared):
    out_p = os.path.join(res, name + '.out')
    err_p = os.path.join(res, name + '.err')
    out = open(out_p, errors='replace').read() if os.path.exists(out_p) else ''
    err = open(err_p, errors='replace').read() if os.path.exists(err_p) else ''
    if name.startswith('hw_parse'):
        s = parse_summary(err)
        return ('%d lines, %d events, %d malformed' % (s['lines'], s['events'], s['malformed'])) if s else '?', s
    if name.startswith('hw_analyze'):
        try:
            rep = json.load(open(os.path.join(res, name + '.report.json')))
        except Exception as e:  # noqa
            return 'no report (%s)' % e, None
        fb = findings_by_detector(rep)
        if name == 'hw_analyze_access_1t':  # not the generated two-site data: no ground truth
            txt = 'events %s; findings %s' % (rep.get('events'), ', '.join('%s=%d' % kv for kv in sorted(fb.items())) or 'none')
            return txt, dict(events=rep.get('events'), findings=fb, late_events=rep.get('late_events'), joins=rep.get('joins'))
        st = manifest.get('stats', {})
        txt = 'events %s; findings %s (generator: %d early 404s on hub-2, %d never replicated)' % (
            rep.get('events'), ', '.join('%s=%d' % kv for kv in sorted(fb.items())) or 'none',
            st.get('early_pull_404', 0), st.get('never', 0))
        return txt, dict(events=rep.get('events'), findings=fb, late_events=rep.get('late_events'),
                         joins=rep.get('joins'))
    if name.startswith(('cat_', 'zcat_', 'pigz_')):
        return '-', None
    if name.startswith('wc_l'):
        return '%s lines' % (out.split()[0] if out.split() else '?'), None
    if shared:
        try:
            return shared(res, name), None
        except Exception:  # noqa
            pass
    return out.strip()[:80], None


def main():
    res = sys.argv[1]
    scale_dir = sys.argv[2] if len(sys.argv) > 2 else None
    shared = shared_computed()
    inputs = {}
    for line in open(os.path.join(res, 'inputs.txt')):
        k, n, b, gz = line.split()
        key = {'access.log': 'access', 'harbor-proxy.log': 'proxy', 'twosite': 'twosite'}[k]
        inputs[key] = dict(lines=int(n), bytes=int(b), gz_bytes=int(gz))
    manifest = {}
    mp = os.path.join(res, 'twosite.manifest.json')
    if os.path.exists(mp):
        manifest = json.load(open(mp))
    benches = {}
    for line in open(os.path.join(res, 'benches.tsv')):
        name, inp, cmd = line.rstrip('\n').split('\t', 2)
        benches[name] = (inp, cmd)
    rows, summary = [], {}
    for name in ORDER:
        src = os.path.join(res, name + '.hyperfine.json')
        if name not in benches or not os.path.exists(src):
            continue
        h = json.load(open(src))['results'][0]
        times = h['times']
        med = statistics.median(times)
        inp, cmd = benches[name]
        nl, nb = inputs[inp]['lines'], inputs[inp]['bytes']
        t = []
        tp = os.path.join(res, name + '.time')
        if os.path.exists(tp):
            t = open(tp).read().split()
        rss = int(t[-3]) / 1024.0 if len(t) >= 4 and t[-3].isdigit() else float('nan')
        cpu = 100.0 * (h['user'] + h['system']) / h['mean'] if h['mean'] else 0
        txt, detail = computed(res, name, manifest, shared)
        r = dict(name=name, input=INPUT_NAME[inp], lines=nl, bytes=nb, runs=len(times), median_s=med,
                 min_s=min(times), max_s=max(times), lines_per_s=nl / med, mb_per_s=nb / 1e6 / med,
                 peak_rss_mib=rss, cpu_pct=cpu, cmd=cmd, computed=txt, detail=detail)
        rows.append(r)
        summary[name] = r

    def ratio(a, b):
        if a in summary and b in summary:
            return summary[a]['lines_per_s'] / summary[b]['lines_per_s']
        return None

    ratios = [
        ('hw_analyze', 'goaccess', 'analyze (2 sites, 5 detectors) vs GoAccess, lines/s'),
        ('hw_analyze', 'sec', 'analyze vs SEC, lines/s'),
        ('hw_analyze', 'mtail', 'analyze vs mtail, lines/s'),
        ('hw_analyze_1t', 'goaccess', 'analyze on one thread vs GoAccess (target >= 25)'),
        ('hw_analyze_1t', 'sec', 'analyze on one thread vs SEC (target >= 9)'),
        ('hw_analyze', 'hw_analyze_1t', 'analyze (parse threads) vs analyze --single-thread'),
        ('hw_analyze_access_1t', 'goaccess', 'analyze on one thread vs GoAccess on the same access.log (target >= 25)'),
        ('hw_analyze_access_1t', 'sec', 'analyze on one thread vs SEC on the same access.log (target >= 9)'),
        ('hw_analyze_access_1t', 'lnav', 'analyze on one thread vs lnav on the same access.log'),
        ('hw_parse_access', 'goaccess', 'parse vs GoAccess on the same access.log'),
        ('hw_parse_access', 'sec', 'parse vs SEC on the same access.log'),
        ('hw_parse_access', 'mtail', 'parse vs mtail on the same access.log'),
        ('hw_parse_access', 'lnav', 'parse vs lnav on the same access.log'),
        ('hw_parse_access', 'python_re', 'parse vs Python re on the same access.log'),
        ('hw_parse_access', 'awk_401', 'parse vs mawk field split on the same access.log'),
        ('hw_parse_proxy_gz', 'zcat_proxy', 'parse .gz vs zcat, Harbor proxy log (target >= 0.95)'),
        ('hw_parse_access_gz', 'zcat_access', 'parse .gz vs zcat, plain combined log (target >= 0.95)'),
        ('hw_analyze_gz', 'zcat_twosite', 'analyze .gz vs zcat, two-site data (target >= 0.95)'),
        ('hw_parse_proxy_gz', 'pigz_d_proxy', 'parse .gz vs pigz -dc, Harbor proxy log'),
        ('hw_parse_proxy_gz', 'hw_parse_proxy', 'parse .gz vs parse plain, Harbor proxy log'),
        ('hw_analyze_gz', 'hw_analyze', 'analyze .gz vs analyze plain'),
    ]
    out = []
    out.append('| tool | what it does | input | wall s (median) | min–max s | lines/s | MB/s | peak RSS | CPU % | result |')
    out.append('|---|---|---|---:|---|---:|---:|---:|---:|---|')
    for r in rows:
        out.append('| `%s` | %s | %s | %.3f | %.3f–%.3f | %s | %s | %.1f MiB | %.0f | %s |' % (
            r['name'], WHAT.get(r['name'], ''), r['input'], r['median_s'], r['min_s'], r['max_s'],
            '{:,.0f}'.format(r['lines_per_s']), '{:,.0f}'.format(r['mb_per_s']), r['peak_rss_mib'],
            r['cpu_pct'], r['computed'].replace('|', '\\|')))
    out.append('')
    out.append('| ratio (harborwatch / peer, throughput; > 1 = harborwatch faster) | value |')
    out.append('|---|---:|')
    rsum = {}
    for a, b, label in ratios:
        v = ratio(a, b)
        if v is not None:
            rsum['%s/%s' % (a, b)] = v
            out.append('| %s | %.2f× |' % (label, v))
    out.append('')
    targets = []
    if 'hw_parse_proxy' in summary:
        v = summary['hw_parse_proxy']['lines_per_s']
        targets.append('| parse ≥ 2.5 M lines/s (Harbor proxy log) | %.2f M lines/s | %s |' % (v / 1e6, 'met' if v >= 2.5e6 else 'not met'))
    for name, what in (('hw_analyze_1t', 'one core, `--single-thread`'), ('hw_analyze', 'default: sources parsed on threads of their own'),
                       ('hw_analyze_access_1t', 'one core, the peers\' access.log')):
        if name in summary:
            v = summary[name]['lines_per_s']
            rss = summary[name]['peak_rss_mib']
            targets.append('| analyze ≥ 1.5 M lines/s (%s) | %.2f M lines/s | %s |' % (what, v / 1e6, 'met' if v >= 1.5e6 else 'not met'))
            targets.append('| analyze ≤ 64 MiB RSS (%s) | %.1f MiB | %s |' % (what, rss, 'met' if rss <= 64 else 'not met'))
    v = rsum.get('hw_parse_proxy_gz/zcat_proxy')
    if v is not None:
        targets.append('| gz ≥ 0.95 × zcat (Harbor proxy log) | %.2f× | %s |' % (v, 'met' if v >= 0.95 else 'not met'))
    if targets:
        out += ['| target | measured | |', '|---|---:|---|'] + targets + ['']

    scale = {}
    if scale_dir and os.path.isdir(scale_dir):
        out.append('| analyze scale run | lines | distinct artifacts (approx) | runs | wall s (median) | min–max s | lines/s | peak RSS (max) | findings |')
        out.append('|---|---:|---:|---:|---:|---|---:|---:|---|')
        for tp in sorted(glob.glob(os.path.join(scale_dir, 'n*.time')), key=lambda p: int(re.sub(r'\D', '', os.path.basename(p)))):
            n = os.path.basename(tp)[:-5]
            runs = [l.split() for l in open(tp) if re.match(r'^[\d.]+ \d+ ', l)]
            if not runs:
                continue
            walls = [float(x[0]) for x in runs]
            rss = max(int(x[1]) for x in runs) / 1024.0
            man = json.load(open(os.path.join(scale_dir, n + '.manifest.json')))
            try:
                rep = json.load(open(os.path.join(scale_dir, n + '.report.json')))
                fb = findings_by_detector(rep)
            except Exception:  # noqa
                fb = {}
            med = statistics.median(walls)
            scale[n] = dict(lines=man['lines'], bytes=man['bytes'], distinct=man['distinct_artifacts_referenced_approx'],
                            walls=walls, median_s=med, lines_per_s=man['lines'] / med, peak_rss_mib=rss, findings=fb)
            out.append('| `analyze --format json` %s | %s | %s | %d | %.2f | %.2f–%.2f | %s | %.1f MiB | %s |' % (
                n, '{:,}'.format(man['lines']), '{:,}'.format(man['distinct_artifacts_referenced_approx']), len(walls),
                med, min(walls), max(walls), '{:,.0f}'.format(man['lines'] / med), rss,
                ', '.join('%s=%d' % kv for kv in sorted(fb.items()))))
        out.append('')
        for tp in sorted(glob.glob(os.path.join(scale_dir, '*.rss-trace'))):
            pts = [tuple(map(float, l.split())) for l in open(tp) if len(l.split()) == 2]
            if len(pts) < 4:
                continue
            end = pts[-1][0]
            marks = []
            for q in (0.1, 0.25, 0.5, 0.75, 0.9, 1.0):
                p = min(pts, key=lambda x: abs(x[0] - q * end))
                marks.append((q, p[0], p[1] / 1024.0))
            n = os.path.basename(tp).split('.')[0]
            out.append('Resident size of one more `analyze` run over %s, sampled every second (share of the run: '
                       'elapsed s: RSS MiB): %s; max %.1f MiB.' % (
                           n, ', '.join('%d %%: %.0f s: %.1f' % (q * 100, t, r) for q, t, r in marks),
                           max(p[1] for p in pts) / 1024.0))
            scale.setdefault('rss_trace', {})[n] = [dict(share=q, elapsed_s=t, rss_mib=r) for q, t, r in marks]
            out.append('')
    text = '\n'.join(out) + '\n'
    open(os.path.join(res, 'table.md'), 'w').write(text)
    json.dump(dict(rows=summary, ratios=rsum, scale=scale, inputs=inputs), open(os.path.join(res, 'summary.json'), 'w'),
              indent=1, default=str)
    sys.stdout.write(text)


if __name__ == '__main__':
    main()
