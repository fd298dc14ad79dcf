"""What caching the frozen lower layers saves in fine-tuning: one epoch of top-k fine-tuning against one epoch of full fine-tuning,
on the same reviews, encoder, device and precision, in one run.

    python benchmarks/finetune_cost.py --data ../shared/data/chnsenticorp/train.tsv --model offline:multilingual-e5-small --json

Both runs use `bert_senti.finetune.finetune` exactly as the library does (length-bucketed batches of 32, max_length 256); the
full run trains every layer above the (frozen) embeddings, the top-k run caches the lower layers' output once and trains the
top k. Reported: seconds per epoch (the best of the epochs run), the one-off caching seconds, and their ratios.
"""
import argparse, json, time
from pathlib import Path
import torch
from bert_senti.core import atomic_path
from bert_senti.data import read_table
from bert_senti.backbone import load_backbone
from bert_senti.finetune import finetune

def main(data, model, n=1024, k=4, epochs=1, precision='auto', device='auto', out=None, json_=False):
    "Time `epochs` epochs of top-`k` and of full fine-tuning on `n` reviews; print and optionally write the JSON."
    rows = read_table(data).shuffle(seed=0).select(range(n + 256))
    texts, labels = list(rows['text']), rows['label']
    backbone = load_backbone(model)
    res = dict(encoder=model, n_train=n, n_valid=256, k=k, layers=backbone.n_layers, epochs=epochs, threads=torch.get_num_threads(),
               precision=backbone.resolve_precision(device, precision))
    for name, kk in (('top_k', k), ('full', 'all')):
        start = time.perf_counter()
        _, _, hist = finetune(backbone, (texts[:n], labels[:n]), (texts[n:], labels[n:]), k=kk, epochs=epochs, patience=epochs,
                              precision=precision, device=device, progress=False)
        res[name] = dict(epoch_s=min(h['epoch_s'] for h in hist), cache_s=hist[0]['cache_s'], total_s=time.perf_counter() - start,
                         valid_acc=max(h['valid_acc'] for h in hist))
    res['epoch_ratio'] = res['top_k']['epoch_s'] / res['full']['epoch_s']
    res['with_cache_ratio'] = (res['top_k']['epoch_s'] + res['top_k']['cache_s']) / (res['full']['epoch_s'] + res['full']['cache_s'])
    if out:
        with atomic_path(out) as tmp: tmp.write_text(json.dumps(res, indent=1))
    if json_: return print(json.dumps(res))
    print(f"{model}, {n} reviews, {res['threads']} threads, {res['precision']}")
    for name in ('top_k', 'full'): print(f"  {name:5s}: epoch {res[name]['epoch_s']:.1f} s, caching lower layers {res[name]['cache_s']:.1f} s")
    print(f"top-{k} epoch / full epoch: {res['epoch_ratio']:.0%} (with its one-off caching: {res['with_cache_ratio']:.0%})")

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data', required=True); p.add_argument('--model', required=True)
    p.add_argument('--n', type=int, default=1024); p.add_argument('--k', type=int, default=4); p.add_argument('--epochs', type=int, default=1)
    p.add_argument('--precision', default='auto'); p.add_argument('--device', default='auto')
    p.add_argument('--out'); p.add_argument('--json', action='store_true')
    a = p.parse_args()
    main(a.data, a.model, a.n, a.k, a.epochs, a.precision, a.device, a.out, a.json)
