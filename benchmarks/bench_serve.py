"""The HTTP service under load, against offline `predict` on the same reviews, in one run, for each engine.

    python benchmarks/bench_serve.py --data ../shared/data/chnsenticorp/train.tsv --json benchmarks/serve_e5_small.json

A classifier (frozen multilingual-e5-small, linear head on mean pooling) is trained on `--train` distinct reviews, saved,
and exported to ONNX (`precision='auto'`). For each engine, on `--n` other distinct reviews:

1. offline: the classifier loaded in this process predicts all the reviews with `predict(bs=max_batch)` (`--rounds`
   times after a warm-up; the median), in texts per second;
2. `bert-senti serve` is started on 127.0.0.1 (a process of its own, `--max-batch`, `--max-queue`, `--max-wait-ms`),
   and `--clients` connections each send one review per request, one request after another, for `--seconds`: texts
   per second, p50/p99 latency, errors, and the mean texts per forward pass (from /metrics); the ratio to offline is
   the target (>= 0.8). Two more figures say where a shortfall comes from: the same reviews predicted in this process in random
   groups of the served mean pass size (what the service's passes hold, without HTTP), and the whole steady run
   repeated on reviews cut to 48 characters (lengths alike, so that sorting a pass gains as much as sorting them all);
3. a burst of twice `--max-queue` single-review requests at once: how many are answered and refused (503), the
   slowest answer (nothing may go unanswered), and the server's resident memory before, at its peak and after;
4. every malformed request of `bad_requests` (and a body over the size limit), sent while `--clients` connections keep
   a valid load going: each case's statuses, and the valid load's errors (target: none);
5. SIGTERM: the exit status and how long the drain took.

Machine and load generator share the CPU (the load generator is this process); the figures are for this machine only,
and only the ratios within one run are claims. Not part of `nbdev_test` (the Serving chapter runs the same checks at a
small size).
"""
import argparse, asyncio, json, os, platform, shutil, signal, statistics, subprocess, sys, tempfile, threading, time
from pathlib import Path
import numpy as np
from bert_senti.core import atomic_path
from bert_senti.data import read_table
from bert_senti.classifier import SentimentClassifier, train_classifier
from bert_senti.serve import HttpConnection, bad_requests, body_limit, load, run_async
sys.path.insert(0, str(Path(__file__).parent))
from onnx_check import held_out

TARGET_RATIO = 0.8

def machine() -> dict:
    "CPU model and count, for the record."
    model = next((l.split(':', 1)[1].strip() for l in Path('/proc/cpuinfo').read_text().splitlines()
                  if l.startswith('model name')), platform.processor()) if Path('/proc/cpuinfo').exists() else ''
    return dict(cpu=model, cores=os.cpu_count(), python=platform.python_version())

def rss_mb(pid) -> float:
    "Resident memory of process `pid`, MB (Linux)."
    for line in Path(f'/proc/{pid}/status').read_text().splitlines():
        if line.startswith('VmRSS:'): return int(line.split()[1]) / 1024
    return float('nan')

def offline(clf, reviews, bs, rounds) -> float:
    "Median texts per second of `clf.predict(reviews, bs)` over `rounds`, after a warm-up."
    clf.predict(reviews[:bs], bs=bs)
    times = []
    for _ in range(rounds):
        start = time.perf_counter(); clf.predict(reviews, bs=bs); times.append(time.perf_counter() - start)
    return len(reviews) / statistics.median(times)

def start_server(directory, max_batch, max_queue, max_wait_ms):
    "`bert-senti serve` on a free port: (process, URL) once it says it is ready."
    proc = subprocess.Popen([shutil.which('bert-senti'), 'serve', '--classifier', str(directory), '--port', '0',
                             '--max-batch', str(max_batch), '--max-queue', str(max_queue),
                             '--max-wait-ms', str(max_wait_ms)],
                            stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        if 'serving http' in line:
            threading.Thread(target=proc.stderr.read, daemon=True).start()   # keep draining its log
            return proc, line.split('serving ')[1].split()[0]
    sys.exit(f"bert-senti serve did not start (exit status {proc.wait()})")

async def burst(url, reviews, n, pid) -> dict:
    "`n` single-review requests at once, the server's memory sampled meanwhile."
    peak, done = [rss_mb(pid)], asyncio.Event()
    async def sample():
        while not done.is_set(): peak.append(rss_mb(pid)); await asyncio.sleep(.02)
    sampler = asyncio.create_task(sample())
    result = await load(url, reviews, clients=n, requests=n, timeout=120)
    done.set(); await sampler
    return result | dict(peak_rss_mb=max(peak))

async def bad_under_load(url, reviews, clients, seconds, max_texts, max_chars) -> tuple:
    "Each malformed request, repeatedly, while `clients` send valid ones: (valid load, {case: statuses})."
    cases = bad_requests(max_texts, max_chars)
    async def bad():
        seen, stop = {}, time.perf_counter() + seconds - 1
        while time.perf_counter() < stop:
            for case, (body, _) in cases.items():
                conn = HttpConnection(url)
                status = (await conn.request('POST', '/v1/predict', body))[0]; conn.close()
                seen.setdefault(case, []).append(status)
            conn = HttpConnection(url)
            big = (await conn.request('POST', '/v1/predict', b'', {'Content-Length': body_limit(max_texts, max_chars) + 1}))
            conn.close(); seen.setdefault('body too large', []).append(big[0])
            await asyncio.sleep(.2)
        return seen
    valid, seen = await asyncio.gather(load(url, reviews, clients=clients, seconds=seconds), bad())
    expected = {c: s for c, (_, s) in cases.items()} | {'body too large': 413}
    return valid, {c: dict(expected=expected[c], got=sorted(set(s)), sent=len(s)) for c, s in seen.items()}

def metrics(url) -> dict:
    "The service's counters (those without labels) from /metrics."
    async def get():
        conn = HttpConnection(url)
        try: return (await conn.request('GET', '/metrics'))[2].decode()
        finally: conn.close()
    return {k: float(v) for k, v in (l.split() for l in run_async(get()).splitlines()
                                     if l.startswith('bert_senti_') and '{' not in l)}

def in_passes(clf, reviews, size, bs, seed=0) -> float:
    "Texts per second predicting `reviews` in random groups of `size`, one `predict_proba` call each (a served pass)."
    order = np.random.default_rng(seed).permutation(len(reviews))
    start = time.perf_counter()
    for i in range(0, len(reviews), size): clf.predict_proba([reviews[j] for j in order[i:i + size]], bs)
    return len(reviews) / (time.perf_counter() - start)

def steady_run(url, texts, a) -> dict:
    "`--clients` sending single texts for `--seconds`, with the mean pass size the service ran meanwhile."
    run_async(load(url, texts, clients=a.clients, seconds=3))                       # warm-up
    m0 = metrics(url); res = run_async(load(url, texts, clients=a.clients, seconds=a.seconds)); m1 = metrics(url)
    return res | dict(mean_pass_texts=(m1['bert_senti_texts_total'] - m0['bert_senti_texts_total'])
                      / (m1['bert_senti_passes_total'] - m0['bert_senti_passes_total']))

def engine_run(name, directory, reviews, a) -> dict:
    "Offline predict, then the service under steady load, a burst and bad requests, for one engine."
    clf = SentimentClassifier.from_pretrained(directory)
    uniform = [r[:48] for r in reviews if len(r) >= 48]
    offline_tps, uniform_tps = offline(clf, reviews, a.max_batch, a.rounds), offline(clf, uniform, a.max_batch, a.rounds)
    proc, url = start_server(directory, a.max_batch, a.max_queue, a.max_wait_ms)
    try:
        steady, steady_uniform = steady_run(url, reviews, a), steady_run(url, uniform, a)
        before = rss_mb(proc.pid)
        spike = run_async(burst(url, reviews, 2 * a.max_queue, proc.pid))
        time.sleep(2); after = rss_mb(proc.pid)
        valid, bad = run_async(bad_under_load(url, reviews, a.clients, a.bad_seconds, 64, 5000))
    finally:
        start = time.perf_counter(); proc.send_signal(signal.SIGTERM)
        rc = proc.wait(120); drain_s = time.perf_counter() - start
    passes_tps = in_passes(clf, reviews, round(steady['mean_pass_texts']), a.max_batch)
    res = dict(engine=name, offline_texts_per_s=offline_tps, steady=steady, ratio=steady['texts_per_s'] / offline_tps,
               in_passes_texts_per_s=passes_tps, ratio_to_passes=steady['texts_per_s'] / passes_tps,
               uniform_chars=48, uniform_n=len(uniform), uniform_offline_texts_per_s=uniform_tps,
               uniform_steady=steady_uniform, uniform_ratio=steady_uniform['texts_per_s'] / uniform_tps,
               burst=spike | dict(rss_before_mb=before, rss_after_mb=after), bad=bad, bad_valid_load=valid,
               sigterm_exit=rc, sigterm_s=drain_s)
    res['steady_ok'] = res['ratio'] >= TARGET_RATIO and steady['errors'] == 0
    res['burst_ok'] = spike['unanswered'] == 0 and set(spike['statuses']) <= {'200', '503'} and '503' in spike['statuses']
    res['bad_ok'] = valid['errors'] == 0 and all(c['got'] == [c['expected']] for c in bad.values())
    return res

def report(r):
    "Print one engine's figures."
    s, b = r['steady'], r['burst']
    print(f"{r['engine']}: offline predict {r['offline_texts_per_s']:.1f} texts/s; served to {s['clients']} clients "
          f"{s['texts_per_s']:.1f} texts/s = {r['ratio']:.2f}x offline (target >= {TARGET_RATIO}: "
          f"{'met' if r['steady_ok'] else 'missed'}), p50 {s['p50_ms']:.0f} ms, p99 {s['p99_ms']:.0f} ms, "
          f"errors {s['errors']}, mean pass {s['mean_pass_texts']:.1f} texts")
    print(f"  the same reviews in random groups of that size, in process: {r['in_passes_texts_per_s']:.1f} texts/s "
          f"(served = {r['ratio_to_passes']:.2f}x); reviews cut to {r['uniform_chars']} characters: served "
          f"{r['uniform_steady']['texts_per_s']:.1f} texts/s = {r['uniform_ratio']:.2f}x offline "
          f"{r['uniform_offline_texts_per_s']:.1f}")
    print(f"  burst of {b['requests']}: {b['statuses']}, unanswered {b['unanswered']}, slowest {b['max_ms']:.0f} ms; "
          f"RSS {b['rss_before_mb']:.0f} MB before, {b['peak_rss_mb']:.0f} peak, {b['rss_after_mb']:.0f} after")
    print(f"  bad requests under load: {'all as expected' if r['bad_ok'] else r['bad']}; valid load "
          f"{r['bad_valid_load']['requests']} requests, errors {r['bad_valid_load']['errors']}")
    print(f"  SIGTERM: exit status {r['sigterm_exit']} after {r['sigterm_s']:.2f} s")

def main(a):
    "Train, save, export; measure each engine; print and write the JSON."
    if shutil.which('bert-senti') is None: sys.exit("bert-senti is not on PATH: pip install -e \".[serve]\" first.")
    train_x, train_y, reviews, _ = held_out(a.data, a.train, a.n)
    clf = train_classifier(train_x, train_y, model=a.model, pooling='mean', device='cpu', progress=False)
    work = Path(tempfile.mkdtemp())
    try:
        clf.save_pretrained(work/'torch'); clf.export_onnx(work/'onnx')
        precision = json.loads((work/'onnx'/'config.json').read_text())['precision']; del clf
        runs = [engine_run(name, work/name, reviews, a) for name in a.engines]
    finally: shutil.rmtree(work, ignore_errors=True)
    for r in runs: report(r)
    res = dict(model=a.model, machine=machine(), n=a.n, train=a.train, clients=a.clients, seconds=a.seconds,
               max_batch=a.max_batch, max_queue=a.max_queue, max_wait_ms=a.max_wait_ms, rounds=a.rounds, onnx_precision=precision,
               target_ratio=TARGET_RATIO, engines=runs)
    if a.out:
        with atomic_path(a.out) as tmp: tmp.write_text(json.dumps(res, indent=1, ensure_ascii=False))
    return res

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data', required=True); p.add_argument('--model', default='offline:multilingual-e5-small')
    p.add_argument('--train', type=int, default=2000); p.add_argument('--n', type=int, default=1000)
    p.add_argument('--clients', type=int, default=32); p.add_argument('--seconds', type=float, default=30)
    p.add_argument('--bad-seconds', type=float, default=10); p.add_argument('--rounds', type=int, default=3)
    p.add_argument('--max-batch', type=int, default=32); p.add_argument('--max-queue', type=int, default=128)
    p.add_argument('--max-wait-ms', type=float, default=20)
    p.add_argument('--engines', nargs='+', default=['torch', 'onnx'], choices=['torch', 'onnx'])
    p.add_argument('--json', dest='out')
    main(p.parse_args())
