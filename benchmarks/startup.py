"""Start-up time of the command line: `bert-senti --help` and `bert-senti predict` of one text, beside importing torch and transformers and loading the encoder.

    python benchmarks/startup.py --model offline:multilingual-e5-small --json benchmarks/startup_e5_small.json

A classifier is trained once on the shipped 300-review sample (frozen encoder, linear head on mean pooling). Then each command runs as a
fresh process: one warm-up round (it fills the OS file cache and, for `predict`, the remembered precision), then `--repeat` rounds in
which the commands take turns, so that all of them see the same machine. Medians are reported with the two targets:
`--help` in at most 1.0 s, and `predict` at most 1.5x the baseline (a bare process that imports torch and transformers and loads the
encoder and its tokenizer with `from_pretrained`).
"""
import argparse, json, shutil, statistics, subprocess, sys, tempfile, time
from pathlib import Path
from bert_senti.core import atomic_path, sample_path
from bert_senti.offline import resolve_model

HELP_TARGET_S, PREDICT_TARGET_RATIO = 1.0, 1.5

def timed(cmd) -> float:
    "Seconds one run of `cmd` takes, as a fresh process; a failure stops the benchmark with its stderr."
    start = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    took = time.perf_counter() - start
    if r.returncode: sys.exit(f"{' '.join(map(str, cmd))} failed ({r.returncode}): {r.stderr.strip()[-500:]}")
    return took

def main(model='offline:multilingual-e5-small', repeat=5, out=None):
    "Time the commands and the baseline; print them with the ratios and write the JSON to `out`."
    exe = shutil.which('bert-senti')
    if exe is None: sys.exit("bert-senti is not on PATH: install the package (pip install -e .) first.")
    work = Path(tempfile.mkdtemp())
    try:
        timed([exe, 'train', '--data', sample_path(), '--model', model, '--pooling', 'mean', '--out', work/'clf'])
        source = str(resolve_model(model))
        load = (f"import torch, transformers; from transformers import AutoModel, AutoTokenizer; "
                f"AutoTokenizer.from_pretrained({source!r}); AutoModel.from_pretrained({source!r})")
        cmds = {'help': [exe, '--help'], 'train_help': [exe, 'train', '--help'],
                'baseline_import_and_load': [sys.executable, '-c', load],
                'predict': [exe, 'predict', '--classifier', work/'clf', '这家酒店服务很好，下次还来。']}
        for c in cmds.values(): timed(c)                                         # warm-up round
        runs = {k: [] for k in cmds}
        for _ in range(repeat):
            for k, c in cmds.items(): runs[k].append(timed(c))
    finally: shutil.rmtree(work, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in runs.items()}
    res = dict(model=model, repeat=repeat, median_s=med, runs_s=runs,
               help_s=med['help'], help_target_s=HELP_TARGET_S, help_ok=med['help'] <= HELP_TARGET_S and med['train_help'] <= HELP_TARGET_S,
               predict_ratio=med['predict'] / med['baseline_import_and_load'], predict_target_ratio=PREDICT_TARGET_RATIO)
    res['predict_ok'] = res['predict_ratio'] <= PREDICT_TARGET_RATIO
    for k, v in med.items(): print(f"{k:26s} median {v:6.2f} s over {repeat} runs")
    print(f"--help: {med['help']:.2f} s, train --help: {med['train_help']:.2f} s (target <= {HELP_TARGET_S} s: {'met' if res['help_ok'] else 'missed'})")
    print(f"predict one text / (import torch + transformers + load the encoder): {res['predict_ratio']:.2f}x (target <= {PREDICT_TARGET_RATIO}x: "
          f"{'met' if res['predict_ok'] else 'missed'})")
    if out:
        with atomic_path(out) as tmp: tmp.write_text(json.dumps(res, indent=1))
    return res

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--model', default='offline:multilingual-e5-small'); p.add_argument('--repeat', type=int, default=5); p.add_argument('--json', dest='out')
    a = p.parse_args()
    main(a.model, a.repeat, a.out)
