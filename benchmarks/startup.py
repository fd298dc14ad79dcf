"""Start-up time of the command line: `bert-senti --help`, and `bert-senti predict` of one text with the torch engine and with
the ONNX Runtime engine (an exported classifier), beside importing torch and transformers and loading the encoder.

    python benchmarks/startup.py --model offline:multilingual-e5-small --json benchmarks/startup_e5_small.json
    python benchmarks/startup.py --random-bert-base --json benchmarks/startup_random_bert_base.json

A classifier is trained once on the shipped 300-review sample (frozen encoder, linear head on mean pooling) and exported twice
(`bert-senti export`: fp32, the precision `auto` chose, and int8 forced). Then each command runs as a fresh process: one warm-up
round (it fills the OS file cache and the remembered precision and checksums), then `--repeat` rounds in which the commands take
turns, so that all of them see the same machine. Medians are reported with the targets: `--help` in at most 1.0 s; torch `predict`
at most 1.5x the baseline (a bare process that imports torch and transformers and loads the encoder and its tokenizer); ONNX
`predict` at most 1.0 s and at most 1/5 of torch `predict`. Where the ONNX engine's time goes is measured in-process after the
rounds (imports, tokenizer, session, one prediction). `--random-bert-base` uses a randomly initialised encoder of
bert-base-chinese's shape (12 layers of 768, a 21,128-row embedding table) with a per-character tokenizer: the graph size of
bert-base-chinese without the hub.
"""
import argparse, json, shutil, statistics, subprocess, sys, tempfile, time
from pathlib import Path
from bert_senti.core import atomic_path, sample_path
from bert_senti.offline import resolve_model

HELP_TARGET_S, PREDICT_TARGET_RATIO, ONNX_TARGET_S, ONNX_TARGET_RATIO = 1.0, 1.5, 1.0, 0.2
TEXT = '这家酒店服务很好，下次还来。'

def timed(cmd) -> float:
    "Seconds one run of `cmd` takes, as a fresh process; a failure stops the benchmark with its stderr."
    start = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    took = time.perf_counter() - start
    if r.returncode: sys.exit(f"{' '.join(map(str, cmd))} failed ({r.returncode}): {r.stderr.strip()[-500:]}")
    return took

BREAKDOWN = '''import json, sys, time
t = [time.perf_counter()]
import onnxruntime, tokenizers, numpy
from bert_senti.engine import GRAPH, OnnxClassifier, checked_file, exported_config, load_exported_tokenizer, ort_session
t.append(time.perf_counter())
path = sys.argv[1]; config = exported_config(path)
from pathlib import Path
tok = load_exported_tokenizer(Path(path), config); t.append(time.perf_counter())
session = ort_session(checked_file(Path(path)/GRAPH, config['sha256'][GRAPH])); t.append(time.perf_counter())
OnnxClassifier(session, tok, config).predict(sys.argv[2]); t.append(time.perf_counter())
print(json.dumps(dict(zip(['imports', 'tokenizer', 'session', 'predict'], [b - a for a, b in zip(t, t[1:])]))))'''

def breakdown(path, repeat) -> dict:
    "Median seconds of each step of an ONNX prediction in a fresh process: imports, tokenizer, session, one prediction."
    runs = [json.loads(subprocess.run([sys.executable, '-c', BREAKDOWN, str(path), TEXT], capture_output=True, text=True,
                                      check=True).stdout) for _ in range(repeat)]
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}

def random_bert_base(work) -> str:
    "A random encoder of bert-base-chinese's shape with a per-character tokenizer, saved to `work/encoder`; its path."
    import torch
    from transformers import BertConfig, BertModel
    from bert_senti.backbone import Backbone
    from bert_senti.data import read_table
    from bert_senti.tokenizer import char_tokenizer
    torch.manual_seed(0)
    config = BertConfig(vocab_size=21128, hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072)
    tok = char_tokenizer(list(read_table(sample_path())['text']))
    Backbone(BertModel(config, add_pooling_layer=False), tok, 'random-bert-base-chinese-shape').save(work/'encoder')
    return str(work/'encoder')

def main(model='offline:multilingual-e5-small', repeat=5, out=None, random_base=False):
    "Time the commands and the baseline; print them with the ratios and write the JSON to `out`."
    exe = shutil.which('bert-senti')
    if exe is None: sys.exit("bert-senti is not on PATH: install the package (pip install -e .) first.")
    work = Path(tempfile.mkdtemp())
    try:
        if random_base: model = random_bert_base(work)
        timed([exe, 'train', '--data', sample_path(), '--model', model, '--pooling', 'mean', '--out', work/'clf'])
        timed([exe, 'export', '--classifier', work/'clf', '--out', work/'onnx'])
        timed([exe, 'export', '--classifier', work/'clf', '--out', work/'onnx_int8', '--precision', 'int8'])
        exported = {k: json.loads((work/k/'config.json').read_text()) for k in ('onnx', 'onnx_int8')}
        sizes = {k: sum(f.stat().st_size for f in (work/k).iterdir()) / 1e6 for k in ('clf', 'onnx', 'onnx_int8')}
        source = str(resolve_model(model))
        load = (f"import torch, transformers; from transformers import AutoModel, AutoTokenizer; "
                f"AutoTokenizer.from_pretrained({source!r}); AutoModel.from_pretrained({source!r})")
        cmds = {'help': [exe, '--help'], 'train_help': [exe, 'train', '--help'],
                'baseline_import_and_load': [sys.executable, '-c', load],
                'predict': [exe, 'predict', '--classifier', work/'clf', TEXT],
                'predict_onnx': [exe, 'predict', '--classifier', work/'onnx', TEXT],
                'predict_onnx_int8': [exe, 'predict', '--classifier', work/'onnx_int8', TEXT]}
        for c in cmds.values(): timed(c)                                         # warm-up round
        runs = {k: [] for k in cmds}
        for _ in range(repeat):
            for k, c in cmds.items(): runs[k].append(timed(c))
        steps = {k: breakdown(work/k, repeat) for k in ('onnx', 'onnx_int8')}
    finally: shutil.rmtree(work, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in runs.items()}
    res = dict(model='random-bert-base-chinese-shape' if random_base else model, repeat=repeat, median_s=med, runs_s=runs,
               help_s=med['help'], help_target_s=HELP_TARGET_S, help_ok=med['help'] <= HELP_TARGET_S and med['train_help'] <= HELP_TARGET_S,
               predict_ratio=med['predict'] / med['baseline_import_and_load'], predict_target_ratio=PREDICT_TARGET_RATIO,
               onnx_precision=exported['onnx']['precision'], onnx_gate=exported['onnx_int8']['gate'], size_mb=sizes,
               onnx_s=med['predict_onnx'], onnx_target_s=ONNX_TARGET_S, onnx_ratio=med['predict_onnx'] / med['predict'],
               onnx_int8_ratio=med['predict_onnx_int8'] / med['predict'], onnx_target_ratio=ONNX_TARGET_RATIO, onnx_steps_s=steps)
    res['predict_ok'] = res['predict_ratio'] <= PREDICT_TARGET_RATIO
    res['onnx_ok'] = res['onnx_s'] <= ONNX_TARGET_S and res['onnx_ratio'] <= ONNX_TARGET_RATIO
    for k, v in med.items(): print(f"{k:26s} median {v:6.2f} s over {repeat} runs")
    print(f"--help: {med['help']:.2f} s, train --help: {med['train_help']:.2f} s (target <= {HELP_TARGET_S} s: {'met' if res['help_ok'] else 'missed'})")
    print(f"predict one text / (import torch + transformers + load the encoder): {res['predict_ratio']:.2f}x (target <= {PREDICT_TARGET_RATIO}x: "
          f"{'met' if res['predict_ok'] else 'missed'})")
    print(f"ONNX predict ({res['onnx_precision']}): {res['onnx_s']:.2f} s, {res['onnx_ratio']:.2f}x torch predict (int8: "
          f"{res['onnx_int8_ratio']:.2f}x); target <= {ONNX_TARGET_S} s and <= {ONNX_TARGET_RATIO}x: {'met' if res['onnx_ok'] else 'missed'}")
    for k, s in steps.items(): print(f"  {k}: " + ', '.join(f"{n} {v:.2f} s" for n, v in s.items()))
    print('directory sizes: ' + ', '.join(f"{k} {v:,.1f} MB" for k, v in sizes.items()))
    if out:
        with atomic_path(out) as tmp: tmp.write_text(json.dumps(res, indent=1))
    return res

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--model', default='offline:multilingual-e5-small'); p.add_argument('--repeat', type=int, default=5); p.add_argument('--json', dest='out')
    p.add_argument('--random-bert-base', action='store_true', help="a random encoder of bert-base-chinese's shape (no download)")
    a = p.parse_args()
    main(a.model, a.repeat, a.out, a.random_bert_base)
