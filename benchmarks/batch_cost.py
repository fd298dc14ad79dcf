"""How inference groups its length-sorted texts into batches: `bs` at a time against the cheapest grouping for several
per-batch costs (`sorted_batches(..., batch_cost=...)`), for each engine, on the same reviews, in one run.

    python benchmarks/batch_cost.py --data ../shared/data/chnsenticorp/train.tsv --json benchmarks/batch_cost_e5_small.json

A classifier (frozen multilingual-e5-small, linear head on mean pooling) is trained on `--train` distinct reviews, saved
and exported to ONNX. For each engine and each grouping, interleaved over `--rounds` (medians reported): `predict` on
`--n` other distinct reviews (bs 64, `predict`'s default: what offline users run), and the first 320 of them in random
groups of 32, one `predict_proba` each (what a service's pass or a short list looks like). The grouping is switched by
setting the `BATCH_COST` the engines read (None: `bs` at a time, as before grouping existed). Not part of `nbdev_test`.
"""
import argparse, json, shutil, statistics, sys, tempfile, time
from pathlib import Path
import numpy as np
import bert_senti.backbone, bert_senti.engine
from bert_senti.core import atomic_path
from bert_senti.classifier import SentimentClassifier, train_classifier
sys.path.insert(0, str(Path(__file__).parent))
from bench_serve import machine
from onnx_check import held_out

def rates(clf, reviews, groups) -> tuple:
    "(texts/s of `predict` on all `reviews`, texts/s of `predict_proba` on each of `groups`)."
    start = time.perf_counter(); clf.predict(reviews); offline = len(reviews) / (time.perf_counter() - start)
    start = time.perf_counter()
    for g in groups: clf.predict_proba(g, 32)
    return offline, sum(map(len, groups)) / (time.perf_counter() - start)

def main(a):
    "Train, save, export; time every grouping on both engines; print and write the JSON."
    train_x, train_y, reviews, _ = held_out(a.data, a.train, a.n)
    order = np.random.default_rng(0).permutation(320)
    groups = [[reviews[j] for j in order[i:i + 32]] for i in range(0, 320, 32)]
    work, costs = Path(tempfile.mkdtemp()), [None, *a.costs]
    try:
        clf = train_classifier(train_x, train_y, model=a.model, pooling='mean', device='cpu', progress=False)
        clf.save_pretrained(work/'torch'); clf.export_onnx(work/'onnx'); del clf
        engines = {name: SentimentClassifier.from_pretrained(work/name) for name in ('torch', 'onnx')}
        runs = {(e, c): [] for e in engines for c in costs}
        for clf in engines.values(): clf.predict(reviews[:64])                       # warm-up
        for _ in range(a.rounds):
            for (e, c), got in runs.items():
                bert_senti.backbone.BATCH_COST = bert_senti.engine.BATCH_COST = c
                got.append(rates(engines[e], reviews, groups))
    finally: shutil.rmtree(work, ignore_errors=True)
    res = dict(model=a.model, machine=machine(), n=a.n, rounds=a.rounds, groups='10 random groups of 32', engines={})
    for e in engines:
        rows = {str(c): dict(offline=statistics.median(r[0] for r in runs[e, c]),
                             groups=statistics.median(r[1] for r in runs[e, c])) for c in costs}
        base = rows['None']
        for name, r in rows.items():
            r |= dict(offline_speedup=r['offline'] / base['offline'], groups_speedup=r['groups'] / base['groups'],
                      groups_vs_offline=r['groups'] / r['offline'])
            print(f"{e:5s} batch_cost {name:>4s}: predict {r['offline']:6.1f} texts/s ({r['offline_speedup']:.2f}x), "
                  f"groups of 32 {r['groups']:6.1f} texts/s ({r['groups_speedup']:.2f}x), groups/predict "
                  f"{r['groups_vs_offline']:.2f}")
        res['engines'][e] = rows
    if a.out:
        with atomic_path(a.out) as tmp: tmp.write_text(json.dumps(res, indent=1))
    return res

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data', required=True); p.add_argument('--model', default='offline:multilingual-e5-small')
    p.add_argument('--train', type=int, default=500); p.add_argument('--n', type=int, default=600)
    p.add_argument('--costs', type=int, nargs='+', default=[32, 64, 128]); p.add_argument('--rounds', type=int, default=3)
    p.add_argument('--json', dest='out')
    main(p.parse_args())
