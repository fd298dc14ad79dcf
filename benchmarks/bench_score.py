"""Scoring files: streaming throughput against in-memory extraction, peak memory for a file 10 times larger, and Ray against one process.

    python benchmarks/bench_score.py --data ../shared/data/chnsenticorp/train.tsv --json benchmarks/score_e5_small.json

A classifier is trained first (frozen multilingual-e5-small, linear head on mean pooling, from the offline extra) unless `--classifier`
names one. Then, in one run on one machine:

1. Throughput: the distinct texts of `--data` as a Parquet file, scored by `predict_file` (reading, chunking, encoder, head, writing), against
   `extract_features` on the same texts held in memory (one call, the whole list). The two take turns, `--repeat` times each; the medians'
   ratio is reported (target: streaming at least 90% of in-memory).
2. Memory: `bert-senti predict --data F --out O` as a separate process on a file of `--rows` rows built from `--data` (rows repeat in order),
   and on one 10 times larger; the peak resident memory of each process (`ru_maxrss`) and their ratio (target: at most 1.2).
3. Ray: `--ray-rows` distinct texts scored by `predict_file` and by `predict_file_ray` with 2 actors in local mode on the same machine,
   Ray's start-up timed apart; rows, labels and the largest probability difference between the outputs, against the single process with
   all its threads and with one thread (as each actor has: in bf16 the rounding depends on the thread count).
"""
import argparse, json, os, platform, resource, shutil, statistics, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np, pandas as pd
from bert_senti.core import atomic_path
from bert_senti.backbone import extract_features
from bert_senti.classifier import load_classifier


STREAM_TARGET, MEMORY_TARGET = 0.90, 1.2

def read_tsv(path) -> pd.DataFrame:
    "ChnSentiCorp's `label<TAB>text_a` file as a frame with `gold` and `text`."
    rows = [l.rstrip('\n').split('\t', 1) for l in Path(path).read_text(encoding='utf-8').splitlines()[1:] if l.strip()]
    return pd.DataFrame({'gold': [int(l) for l, _ in rows], 'text': [t for _, t in rows]})

def peak_rss_mb(cmd) -> tuple:
    "(seconds, peak resident MB) of `cmd` run as a child of a fresh Python that reports its children's `ru_maxrss`."
    probe = "import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(r.returncode)"
    start = time.perf_counter()
    r = subprocess.run([sys.executable, '-c', probe, *map(str, cmd)], capture_output=True, text=True)
    took = time.perf_counter() - start
    if r.returncode: sys.exit(f"{' '.join(map(str, cmd))} failed: {r.stderr.strip()[-800:]}")
    return took, int(r.stdout.strip().splitlines()[-1]) / 1024

def throughput(clf, texts, work, repeat) -> dict:
    "Rows per second of in-memory extraction and of streaming `predict_file` over the same texts, taking turns."
    pd.DataFrame({'id': range(len(texts)), 'text': texts}).to_parquet(work/'distinct.parquet')
    extract_features(clf.backbone, texts[:256], clf.pooling, clf.max_length, clf.truncation, progress=False, device=clf.device,
                     precision=clf.precision, layers=clf.layers)                      # warm-up, and the precision choice
    runs = {'in_memory_extract': [], 'streaming_predict_file': []}
    for _ in range(repeat):
        t = time.perf_counter()
        extract_features(clf.backbone, texts, clf.pooling, clf.max_length, clf.truncation, progress=False, device=clf.device,
                         precision=clf.precision, layers=clf.layers)
        runs['in_memory_extract'].append(len(texts) / (time.perf_counter() - t))
        t = time.perf_counter()
        clf.predict_file(work/'distinct.parquet', work/'streamed.parquet', progress=False)
        runs['streaming_predict_file'].append(len(texts) / (time.perf_counter() - t))
        (work/'streamed.parquet').unlink()
        print({k: round(v[-1], 1) for k, v in runs.items()}, flush=True)
    med = {k: statistics.median(v) for k, v in runs.items()}
    return dict(rows=len(texts), rows_per_s=med, runs_rows_per_s=runs, ratio=med['streaming_predict_file'] / med['in_memory_extract'],
                target=STREAM_TARGET)

def memory(classifier, corpus, rows, work) -> dict:
    "Peak memory and time of `bert-senti predict --data` on `rows` rows and on 10 times as many."
    exe = shutil.which('bert-senti')
    res = {}
    for n in (rows, 10 * rows):
        frame = corpus.iloc[np.arange(n) % len(corpus)].reset_index(drop=True)
        frame.insert(0, 'id', range(n))
        frame.to_parquet(work/f'rows_{n}.parquet')
        took, mb = peak_rss_mb([exe, 'predict', '--classifier', classifier, '--data', work/f'rows_{n}.parquet', '--out', work/f'scored_{n}.parquet'])
        scored = pd.read_parquet(work/f'scored_{n}.parquet', columns=['id', 'label'])
        assert len(scored) == n and (scored['id'].to_numpy() == np.arange(n)).all()
        res[str(n)] = dict(rows=n, seconds=took, rows_per_s=n / took, peak_rss_mb=mb)
        print(res[str(n)], flush=True)
    return dict(files=res, ratio=res[str(10 * rows)]['peak_rss_mb'] / res[str(rows)]['peak_rss_mb'], target=MEMORY_TARGET)

def ray_vs_one(clf, classifier, texts, work) -> dict:
    "`predict_file` (with this machine's threads, and with one thread as each actor has) against `predict_file_ray` (2 actors, local) on the same chunks."
    import torch
    from bert_senti.distributed import predict_file_ray, start_ray
    pd.DataFrame({'id': range(len(texts)), 'text': texts}).to_parquet(work/'ray_in.parquet')
    threads = torch.get_num_threads()
    t = time.perf_counter(); clf.predict_file(work/'ray_in.parquet', work/'one.parquet', chunk_rows=256, progress=False); one_s = time.perf_counter() - t
    torch.set_num_threads(1)
    t = time.perf_counter(); clf.predict_file(work/'ray_in.parquet', work/'one_1t.parquet', chunk_rows=256, progress=False); one_1t_s = time.perf_counter() - t
    torch.set_num_threads(threads)
    t = time.perf_counter(); start_ray(num_cpus=os.cpu_count()); start_s = time.perf_counter() - t
    t = time.perf_counter(); predict_file_ray(classifier, work/'ray_in.parquet', work/'ray_out', chunk_rows=256, actors=2, progress=False); ray_s = time.perf_counter() - t
    b = pd.read_parquet(work/'ray_out').sort_values('id').reset_index(drop=True)
    res = dict(rows=len(texts), chunk_rows=256, actors=2, threads_per_actor=max(1, os.cpu_count() // 2), cpus=os.cpu_count(), one_process_threads=threads,
               one_process_s=one_s, one_process_1_thread_s=one_1t_s, ray_start_s=start_s, ray_s=ray_s, ray_over_one=ray_s / one_s)
    for name in ('one', 'one_1t'):
        a = pd.read_parquet(work/f'{name}.parquet')
        cols = [c for c in a.columns if c.startswith('prob_')]
        res[f'vs_{name}'] = dict(same_rows=bool((a['id'] == b['id']).all()), same_labels=int((a['label'] == b['label']).sum()),
                                 max_prob_diff=float(np.abs(a[cols].to_numpy() - b[cols].to_numpy()).max()))
    return res

def main(data, classifier=None, rows=10_000, ray_rows=2_000, repeat=2, distinct=0, out=None):
    work = Path(tempfile.mkdtemp())
    try:
        if classifier is None:
            classifier = work/'clf'
            subprocess.run([shutil.which('bert-senti'), 'train', '--data', data, '--model', 'offline:multilingual-e5-small', '--pooling', 'mean',
                            '--out', classifier], check=True, capture_output=True)
        clf = load_classifier(classifier)
        corpus = read_tsv(data)
        texts = list(dict.fromkeys(corpus['text']))[:distinct or None]
        res = dict(machine=dict(cpu=platform.processor() or platform.machine(), cpus=os.cpu_count()), data=Path(data).name,
                   classifier=dict(encoder=clf.backbone.name.split('/')[-1], pooling=clf.pooling, max_length=clf.max_length,
                                   precision=clf.backbone.resolve_precision('cpu', clf.precision)))
        res['throughput'] = throughput(clf, texts, work, repeat)
        res['memory'] = memory(classifier, corpus, rows, work)
        res['ray'] = ray_vs_one(clf, classifier, texts[:ray_rows], work)
    finally: shutil.rmtree(work, ignore_errors=True)
    t, m, r = res['throughput'], res['memory'], res['ray']
    print(f"streaming / in-memory throughput: {t['ratio']:.1%} (target >= {STREAM_TARGET:.0%}: {'met' if t['ratio'] >= STREAM_TARGET else 'missed'})")
    print(f"peak memory, {10 * rows:,} rows / {rows:,} rows: {m['ratio']:.2f}x (target <= {MEMORY_TARGET}x: {'met' if m['ratio'] <= MEMORY_TARGET else 'missed'})")
    print(f"Ray 2 actors / one process, same {r['cpus']} cores: {r['ray_over_one']:.2f}x the time (+{r['ray_start_s']:.1f} s to start Ray)")
    for k, what in (('vs_one', f"one process, {r['one_process_threads']} threads"), ('vs_one_1t', 'one process, 1 thread (as each actor)')):
        print(f"  against {what}: same rows {r[k]['same_rows']}, labels equal {r[k]['same_labels']}/{r['rows']}, largest probability difference {r[k]['max_prob_diff']:.1e}")
    if out:
        with atomic_path(out) as tmp: tmp.write_text(json.dumps(res, indent=1))
    return res

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data', required=True); p.add_argument('--classifier'); p.add_argument('--rows', type=int, default=10_000)
    p.add_argument('--ray-rows', type=int, default=2_000); p.add_argument('--repeat', type=int, default=2)
    p.add_argument('--distinct', type=int, default=0, help='use only this many distinct texts for the throughput (0: all)'); p.add_argument('--json', dest='out')
    a = p.parse_args()
    main(a.data, a.classifier, a.rows, a.ray_rows, a.repeat, a.distinct, a.out)
