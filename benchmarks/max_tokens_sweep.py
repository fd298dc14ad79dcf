"""Real tokens/s of bert_senti's extraction for several token budgets (padded positions per batch), in fp32 and bf16, on a random
model of bert-base-chinese's shape, in one run: the measurement behind the library's default budget for each precision.

    python benchmarks/max_tokens_sweep.py --data ../shared/data/chnsenticorp/train.tsv --out benchmarks/max_tokens_sweep.json
"""
import argparse, json, time
import numpy as np
import torch
from bert_senti.core import atomic_path
from bert_senti.data import read_table
from bert_senti.device import autocast, candidate_precisions
from bert_senti.tokenizer import token_lengths
from bert_senti.backbone import extract_features
from bench_extract import random_bert_base_model, warm_up

def main(data, n=256, budgets=(1024, 2048, 4096, 8192), out=None):
    "Time one extraction of `n` reviews per precision and budget; print and optionally write the table."
    texts = list(read_table(data)['text'][:n])
    bb = random_bert_base_model(texts)
    real = float(np.minimum(token_lengths(bb.tokenizer, texts), 512).sum())
    rows = []
    for precision in candidate_precisions('cpu')[::-1]:
        with autocast('cpu', precision): warm_up(bb, torch.device('cpu'))     # no budget pays this precision's first-call costs
        for mt in budgets:
            start = time.perf_counter()
            extract_features(bb, texts, 'cls', max_length=512, max_tokens=mt, bs=256, progress=False, device='cpu', precision=precision)
            rows.append(dict(precision=precision, max_tokens=mt, tok_s=real / (time.perf_counter() - start)))
            print(rows[-1])
    res = dict(encoder=bb.name, n=n, threads=torch.get_num_threads(), rows=rows)
    if out:
        with atomic_path(out) as tmp: tmp.write_text(json.dumps(res, indent=1))

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data', required=True); p.add_argument('--n', type=int, default=256); p.add_argument('--out')
    a = p.parse_args()
    main(a.data, a.n, out=a.out)
