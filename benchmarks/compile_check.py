"""Does `torch.compile` close fp32 extraction's gap to the matmul ceiling? Eager and compiled fp32 extraction on the same reviews, one run.

    python benchmarks/compile_check.py --data ../shared/data/chnsenticorp/train.tsv --json benchmarks/compile_check.json

The random bert-base-chinese-shaped encoder of `bench_extract.py --random-bert-base`, 256 reviews, fp32, the library's `extract_features`
with no cache. Each variant is warmed up (the compiled one compiles during its warm-up, `dynamic=True` so batches of any shape reuse the
graph), then timed twice; the faster run counts. Shares are of the fp32 matmul ceiling measured in the same run.
"""
import argparse, json, time
import numpy as np
import torch
from bench_extract import flops_per_token, matmul_ceiling, random_bert_base_model, warm_up
from bert_senti.core import atomic_path
from bert_senti.data import read_table
from bert_senti.tokenizer import token_lengths
from bert_senti.backbone import extract_features

def tokens_per_second(bb, texts, real_tokens) -> float:
    "Real tokens per second of fp32 extraction, best of two timed runs after a warm-up."
    with torch.inference_mode(): warm_up(bb, torch.device('cpu'))
    extract_features(bb, texts[:64], 'mean', max_length=512, progress=False, device='cpu', precision='fp32')
    runs = []
    for _ in range(2):
        start = time.perf_counter(); extract_features(bb, texts, 'mean', max_length=512, progress=False, device='cpu', precision='fp32')
        runs.append(time.perf_counter() - start)
    return real_tokens / min(runs)

def main(data, n=256, out=None):
    "Measure the ceiling, eager and compiled extraction; print and write the shares."
    texts = list(read_table(data)['text'][:n])
    bb = random_bert_base_model(texts)
    lengths = np.minimum(token_lengths(bb.tokenizer, texts), 512)
    ceiling, fpt = matmul_ceiling(bb.model.config, torch.device('cpu'))['fp32'], flops_per_token(bb.model.config, lengths)
    res = dict(encoder=bb.name, n=len(texts), threads=torch.get_num_threads(), torch=torch.__version__, ceiling_gflops_fp32=ceiling)
    res['eager_tok_s'] = tokens_per_second(bb, texts, float(lengths.sum()))
    eager_forward = bb.model.forward
    bb.model.forward = torch.compile(eager_forward, dynamic=True)
    start = time.perf_counter(); res['compiled_tok_s'] = tokens_per_second(bb, texts, float(lengths.sum())); res['compile_and_time_s'] = time.perf_counter() - start
    for k in ('eager', 'compiled'): res[f'{k}_share_of_ceiling'] = res[f'{k}_tok_s'] * fpt / 1e9 / ceiling
    print(f"fp32 ceiling {ceiling:.0f} GFLOP/s; eager {res['eager_tok_s']:.0f} tok/s = {res['eager_share_of_ceiling']:.1%}; "
          f"torch.compile {res['compiled_tok_s']:.0f} tok/s = {res['compiled_share_of_ceiling']:.1%} (compiling and timing took {res['compile_and_time_s']:.0f} s)")
    if out:
        with atomic_path(out) as tmp: tmp.write_text(json.dumps(res, indent=1))

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data', required=True); p.add_argument('--n', type=int, default=256); p.add_argument('--json', dest='out')
    a = p.parse_args()
    main(a.data, a.n, a.out)
