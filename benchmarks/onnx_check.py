"""The ONNX Runtime engine against the PyTorch engine on held-out reviews with a real encoder: labels, probabilities, accuracy,
features, speed and directory size, fp32 and int8, in one run.

    python benchmarks/onnx_check.py --data ../shared/data/chnsenticorp/train.tsv --json benchmarks/onnx_e5_small.json

A classifier (frozen multilingual-e5-small, linear head on mean pooling, fp32) is trained on `--train` distinct reviews and exported
twice with `export_onnx`: `precision='auto'` (what the gate picks) and `precision='int8'` (forced). `--n` other distinct reviews,
none of them in training, are then predicted by the PyTorch engine in fp32 and by each exported directory, loaded as a user loads
it (`OnnxClassifier.from_pretrained`). Reported: how many labels agree, the largest probability difference, held-out accuracy,
the smallest cosine between pooled features, each engine's prediction time (interleaved `--rounds`, medians; ratios only) and
each directory's size. Not part of `nbdev_test`.
"""
import argparse, json, statistics, tempfile, time
from pathlib import Path
import numpy as np
import torch
from bert_senti.core import atomic_path
from bert_senti.data import read_table
from bert_senti.device import cos_min
from bert_senti.classifier import train_classifier
from bert_senti.engine import OnnxClassifier

def held_out(data, n_train, n, seed=0):
    "(train texts, train labels, test texts, test labels): distinct texts, the test ones never in training."
    t = read_table(data)
    first = {}
    for text, label in zip(t['text'], t['label']): first.setdefault(text, label)
    texts = list(first); order = np.random.default_rng(seed).permutation(len(texts))
    pick = lambda idx: ([texts[i] for i in idx], [int(first[texts[i]]) for i in idx])
    return (*pick(order[:n_train]), *pick(order[n_train:n_train + n]))

def main(data, n_train=2000, n=1000, model='offline:multilingual-e5-small', rounds=3, out=None):
    "Train, export twice, compare on held-out reviews; print the summary and write the JSON to `out`."
    train_x, train_y, test_x, test_y = held_out(data, n_train, n)
    clf = train_classifier(train_x, train_y, model=model, pooling='mean', precision='fp32', device='cpu', progress=False)
    work = Path(tempfile.mkdtemp())
    engines = {'torch_fp32': clf}
    for name, precision in (('onnx_auto', 'auto'), ('onnx_int8', 'int8')):
        start = time.perf_counter(); clf.export_onnx(work/name, precision=precision)
        engines[name] = OnnxClassifier.from_pretrained(work/name)
        engines[name].export_s = time.perf_counter() - start
    probs, secs = {}, {k: [] for k in engines}
    for _ in range(rounds):
        for k, e in engines.items():
            start = time.perf_counter(); probs[k] = np.asarray(e.predict_proba(test_x)); secs[k].append(time.perf_counter() - start)
    feats = {'torch_fp32': clf._features(test_x)}
    feats |= {k: torch.from_numpy(e.outputs(test_x, ('features',))['features']) for k, e in engines.items() if k != 'torch_fp32'}
    y = np.array(test_y)
    res = dict(encoder=model, data=Path(data).name, n_train=len(train_x), n=len(test_x), rounds=rounds,
               sizes_mb={k: sum(f.stat().st_size for f in (work/k).iterdir()) / 1e6 for k in ('onnx_auto', 'onnx_int8')},
               engines={})
    for k in engines:
        r = dict(accuracy=float((probs[k].argmax(1) == y).mean()), seconds=statistics.median(secs[k]),
                 labels_agree=int((probs[k].argmax(1) == probs['torch_fp32'].argmax(1)).sum()),
                 max_prob_diff=float(np.abs(probs[k] - probs['torch_fp32']).max()),
                 cos_min_to_torch=cos_min(feats[k], feats['torch_fp32']))
        if k != 'torch_fp32':
            config = engines[k].config
            r.update(precision=config['precision'], fused=config['fused'], export_s=engines[k].export_s, gate=config['gate'])
        r['speed_vs_torch'] = statistics.median(secs['torch_fp32']) / r['seconds']
        res['engines'][k] = r
    for k, r in res['engines'].items():
        print(f"{k:11s} accuracy {r['accuracy']:.4f}  labels agreeing with torch {r['labels_agree']}/{len(test_x)}  "
              f"max |p - p_torch| {r['max_prob_diff']:.2e}  cosine >= {r['cos_min_to_torch']:.5f}  {r['speed_vs_torch']:.2f}x torch's speed"
              + (f"  ({r['precision']})" if 'precision' in r else ''))
    print('sizes: ' + ', '.join(f"{k} {v:,.1f} MB" for k, v in res['sizes_mb'].items()))
    if out:
        with atomic_path(out) as tmp: tmp.write_text(json.dumps(res, indent=1))
    return res

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data', required=True); p.add_argument('--train', type=int, default=2000); p.add_argument('--n', type=int, default=1000)
    p.add_argument('--model', default='offline:multilingual-e5-small'); p.add_argument('--rounds', type=int, default=3)
    p.add_argument('--json', dest='out')
    a = p.parse_args()
    main(a.data, a.train, a.n, a.model, a.rounds, a.out)
