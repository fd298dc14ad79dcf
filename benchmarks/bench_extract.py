"""Feature extraction benchmark: the reference recipe vs bert_senti's paths, on the same texts and encoder, in one run.

    python benchmarks/bench_extract.py --data ../shared/data/chnsenticorp/train.tsv --random-bert-base --json
    python benchmarks/bench_extract.py --data ../shared/data/chnsenticorp/train.tsv --model offline:multilingual-e5-small --gate-data ../shared/data/chnsenticorp/train.tsv --json

(a) reference: batches of 16 in corpus order, every text padded (and truncated) to 500 tokens, one fp32 backbone forward per
    batch, as the reference notebook's training loop ran it on every step;
(b) bert_senti in fp32: `extract_features` as the library runs it (distinct texts once, length-sorted, dynamic padding);
(c) bert_senti in bf16 (autocast), where the device has it natively, else skipped;
(d) int8: the fp32 path on a `torch.ao` dynamically quantised copy of the encoder (Linear layers in int8), CPU only;
(e) ort_fp32 and ort_int8: the encoder exported to ONNX (`export_onnx`, with ONNX Runtime's transformer fusions) and run by the
    ONNX Runtime engine (`OnnxClassifier.outputs`: the same distinct, length-sorted batches), in fp32 and with int8 matrix
    products (`quantize_dynamic`); CPU only, mean pooling (the torch paths compute [CLS] and mean in the same forward).
The ceiling: the machine's matrix-multiply rate (GFLOP/s) in fp32, bf16 and int8 on this encoder's layer shapes, measured in the
same run, so each path's share of its ceiling is (real tokens/s x FLOPs per token) / ceiling.
The gate: a path qualifies if its pooled features are within cosine 0.999 of fp32 for every review and, with --gate-data (a real
encoder), its held-out accuracy is within 0.3 point of fp32's (the same logistic regression, C chosen once on fp32's validation
split so that only the features differ, on one duplicate-aware split).
The machine's speed drifts (a shared virtual machine: the fp32 ceiling has measured 290 to 366 GFLOP/s in different runs), so
the ceiling and every path are measured in `--rounds` interleaved rounds (ceiling, then each path, then the next round) and the
medians are reported; a path's share of its ceiling is the median of its per-round shares, each against that round's ceiling.
After the rounds, one fp32 extraction runs under the CPU profiler: the share of its time in the Linear products (and the GFLOP/s
they reach, against the ceiling), in attention and in everything else, and the share of processed positions that are padding: the
gap between fp32 and its ceiling, explained.
Speeds are real (non-pad) tokens per second. Not part of `nbdev_test`.
"""
import argparse, json, resource, time, warnings
from pathlib import Path
import numpy as np
import torch
from transformers import BertConfig, BertModel
from bert_senti.tokenizer import char_tokenizer, token_lengths
from bert_senti.data import read_table, load_corpus
from bert_senti.device import MIN_COS, autocast, candidate_precisions, cos_min, pick_device
from bert_senti.backbone import Backbone, default_max_tokens, extract_features, load_backbone
from bert_senti.train import train_head
from bert_senti.head import SentimentHead
from bert_senti.classifier import SentimentClassifier

GATE_POINTS = 0.3

def peak_rss_mb() -> float:
    "Peak resident memory of this process so far, in MiB."
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

def random_bert_base_model(texts) -> Backbone:
    "A randomly initialised model of bert-base-chinese's shape, with a per-character tokenizer (timing only)."
    torch.manual_seed(0)
    config = BertConfig(vocab_size=21128, hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072)
    return Backbone(BertModel(config, add_pooling_layer=False), char_tokenizer(texts), 'random-bert-base-chinese-shape')

def int8_copy(backbone) -> Backbone:
    "The encoder with its Linear layers dynamically quantised to int8 (torch.ao), under a name and fingerprint of its own."
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        q = torch.ao.quantization.quantize_dynamic(backbone.model, {torch.nn.Linear}, dtype=torch.qint8)
    int8 = Backbone(q, backbone.tokenizer, backbone.name + '-int8')
    int8.fingerprint = backbone.fingerprint + '-int8'
    return int8

def reference_features(backbone, texts, device, bs=16, pad_to=500) -> torch.Tensor:
    "The reference recipe: pad every text to `pad_to`, forward batch by batch, take [CLS]."
    out = []
    with torch.no_grad():
        for i in range(0, len(texts), bs):
            batch = backbone.tokenizer(texts[i:i+bs], truncation=True, padding='max_length', max_length=pad_to, return_tensors='pt').to(device)
            out.append(backbone.model(**batch).last_hidden_state[:, 0].cpu())
    return torch.cat(out)

def sync(device):
    "Wait for queued GPU work, so timings are real."
    if device.type == 'cuda': torch.cuda.synchronize()

def warm_up(backbone, device):
    "One untimed forward at the reference's shape and one short batch, so no path pays first-call costs in its timing."
    with torch.inference_mode():
        for shape in [(16, 500), (8, 64)]: backbone.model(torch.full(shape, backbone.tokenizer.unk_token_id or 1, device=device))

def timed(fn, device):
    "(result, seconds) of calling `fn`."
    sync(device); start = time.perf_counter(); result = fn(); sync(device); return result, time.perf_counter() - start

def layer_shapes(config) -> list[tuple[int, int]]:
    "(in, out) of each Linear in one encoder layer: query, key, value, attention output, feed-forward in and out."
    H, FF = config.hidden_size, config.intermediate_size
    return [(H, H)] * 4 + [(H, FF), (FF, H)]

def matmul_ceiling(config, device, tokens=2048, repeats=5) -> dict:
    "GFLOP/s of one encoder layer's Linear layers on `tokens` positions, in fp32, bf16 (where native) and int8 (CPU), best of `repeats`."
    shapes, out = layer_shapes(config), {}
    flops = sum(2 * tokens * i * o for i, o in shapes)
    precisions = ['fp32'] + [p for p in candidate_precisions(device) if p != 'fp32'] + (['int8'] if device.type == 'cpu' else [])
    for p in precisions:
        layers = [torch.nn.Linear(i, o).to(device) for i, o in shapes]
        x = {i: torch.randn(tokens, i, device=device) for i in {i for i, _ in shapes}}
        if p == 'int8':
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                layers = [torch.ao.quantization.quantize_dynamic(torch.nn.Sequential(l), {torch.nn.Linear}, dtype=torch.qint8) for l in layers]
        dtype = {'bf16': torch.bfloat16, 'fp16': torch.float16}.get(p)
        if dtype: layers, x = [l.to(dtype) for l in layers], {k: v.to(dtype) for k, v in x.items()}
        with torch.inference_mode():
            for l, (i, _) in zip(layers, shapes): l(x[i])
            best = min(timed(lambda: [l(x[i]) for l, (i, _) in zip(layers, shapes)], device)[1] for _ in range(repeats))
        out[p] = flops / best / 1e9
    return out

def time_breakdown(backbone, texts, device, config, max_tokens=None, top=6) -> dict:
    "Where fp32 extraction's time goes (CPU profiler, self time): the Linear products and the rate they reach, attention, the rest; and the padding share."
    from torch.profiler import profile, ProfilerActivity
    from bert_senti.core import sorted_batches
    from bert_senti.collate import encode, processed_tokens
    ids = encode(backbone.tokenizer, list(dict.fromkeys(texts)), 512, 'head')
    lengths = [len(i) for i in ids]
    padded = processed_tokens(lengths, sorted_batches(lengths, 64, max_tokens or default_max_tokens('fp32')))
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        extract_features(backbone, texts, ('cls', 'mean'), max_length=512, max_tokens=max_tokens, progress=False, device=device, precision='fp32')
    self_s = {e.key: e.self_cpu_time_total / 1e6 for e in prof.key_averages()}
    total = sum(self_s.values())
    linear = sum(v for k, v in self_s.items() if k in ('aten::addmm', 'aten::mm'))
    attention = sum(v for k, v in self_s.items() if 'scaled_dot_product' in k or k in ('aten::bmm', 'aten::baddbmm', 'aten::_softmax'))
    linear_flops = padded * config.num_hidden_layers * sum(2 * i * o for i, o in layer_shapes(config))
    return dict(padding_share=1 - sum(lengths) / padded, linear_time_share=linear / total, attention_time_share=attention / total,
                other_time_share=1 - (linear + attention) / total, linear_gflops=linear_flops / linear / 1e9,
                top_ops={k: v / total for k, v in sorted(self_s.items(), key=lambda kv: -kv[1])[:top]})

def flops_per_token(config, lengths) -> float:
    "Forward FLOPs per real token: the Linear layers, plus attention scores and mixing at each text's own length."
    mean_len = float((lengths ** 2).sum() / lengths.sum())   # token-weighted: a token in a long text attends to more
    H = config.hidden_size
    per_layer = sum(2 * i * o for i, o in layer_shapes(config)) + 4 * H * mean_len
    return config.num_hidden_layers * per_layer

def head_epoch_seconds(n, hidden_size, epochs=3) -> float:
    "Seconds per head epoch over `n` cached feature vectors (linear head, batch 64)."
    x, y = torch.randn(n, hidden_size), torch.randint(0, 2, (n,))
    start = time.perf_counter(); train_head(x, y, x[:500], y[:500], epochs=epochs, progress=False)
    return (time.perf_counter() - start) / epochs

def ort_engines(backbone, work) -> dict:
    "ONNX Runtime engines of `backbone` (mean pooling, a random head): {'ort_fp32': fused fp32 graph, 'ort_int8': its int8 copy}."
    from bert_senti.export import export_onnx, quantize_graph
    from bert_senti.engine import GRAPH, OnnxClassifier, ort_session
    clf = SentimentClassifier(backbone, SentimentHead(backbone.hidden_size), 'mean', backbone.max_length, device='cpu', precision='fp32')
    path = export_onnx(clf, Path(work)/'onnx', precision='fp32')
    fp32 = OnnxClassifier.from_pretrained(path)
    int8 = OnnxClassifier(ort_session(quantize_graph(path/GRAPH, Path(work)/'int8.onnx')), fp32.tokenizer, fp32.config)
    fused = json.loads((path/'config.json').read_text())['fused']
    return dict(ort_fp32=fp32, ort_int8=int8), fused

def path_features(path, texts, device, max_tokens=None) -> dict:
    "{'cls': tensor or None, 'mean': tensor} of one path: (backbone, precision) for torch, an `OnnxClassifier` for ONNX Runtime."
    if not isinstance(path, tuple): return dict(cls=None, mean=torch.from_numpy(path.outputs(texts, ('features',))['features']))
    bb, precision = path
    return extract_features(bb, texts, ('cls', 'mean'), max_length=512, max_tokens=max_tokens, progress=False, device=device, precision=precision)

def gate_accuracy(paths, data, device, seed=42) -> dict:
    "Held-out accuracy of the same logistic regression (C chosen on fp32's validation split) on each path's mean-pooled features."
    from sklearn.linear_model import LogisticRegression
    corpus = load_corpus(data, valid_pct=0.1, test_pct=0.15, seed=seed)
    y = {k: np.array(v['label']) for k, v in corpus.items()}
    feats = {name: {k: path_features(path, list(v['text']), device)['mean'].numpy() for k, v in corpus.items()} for name, path in paths.items()}
    fit = lambda x, C: LogisticRegression(C=C, max_iter=5000).fit(x['train'], y['train'])
    C = max((0.1, 1.0, 10.0), key=lambda c: fit(feats['fp32'], c).score(feats['fp32']['validation'], y['validation']))
    out = {path: float(fit(x, C).score(x['test'], y['test'])) for path, x in feats.items()}
    return dict(data=Path(data).name, seed=seed, n_test=len(corpus['test']), C=C, accuracy=out)

def parse_args(argv=None):
    "The command line of this benchmark."
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data', required=True, help='TSV/CSV corpus file')
    p.add_argument('--n', type=int, default=256, help='number of reviews')
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument('--model', help='encoder: hub id, local directory or offline: name')
    src.add_argument('--random-bert-base', action='store_true', help='time a random bert-base-chinese-shaped model (no download)')
    p.add_argument('--device', default='auto', help='auto, cpu, cuda or mps')
    p.add_argument('--max-tokens', type=int, default=None, help="bert_senti's padded positions per batch (default: the library's for each precision)")
    p.add_argument('--skip-int8', action='store_true', help='do not time the int8 path')
    p.add_argument('--skip-ort', action='store_true', help='do not time the ONNX Runtime paths')
    p.add_argument('--gate-data', help='corpus for the accuracy half of the gate (slow: extracts it once per path)')
    p.add_argument('--rounds', type=int, default=5, help='interleaved rounds of ceiling and paths; medians are reported')
    p.add_argument('--json', action='store_true', help='print one JSON object')
    return p.parse_args(argv)

def main(data, n=256, model=None, random_bert_base=False, max_tokens=None, skip_int8=False, json_=False, device='auto', gate_data=None, rounds=5,
         skip_ort=False):
    "Measure the ceiling and every path on the same texts; print speeds, ratios, shares of the ceiling, the gate and a projection."
    device = pick_device(device)
    texts = list(read_table(data)['text'][:n])
    backbone = random_bert_base_model(texts) if random_bert_base else load_backbone(model)
    backbone.model.to(device)
    config = backbone.model.config
    lengths = np.minimum(token_lengths(backbone.tokenizer, texts), 512)
    real_tokens = float(lengths.sum())
    res = dict(encoder=Path(backbone.name).name, n=len(texts), device=str(device), threads=torch.get_num_threads(),
               max_tokens=max_tokens or {p: default_max_tokens(p) for p in ('fp32', 'bf16', 'fp16')})
    res['rounds'] = rounds
    res['flops_per_token'] = flops_per_token(config, lengths)
    paths = {'fp32': (backbone, 'fp32')}
    paths.update({p: (backbone, p) for p in candidate_precisions(device) if p != 'fp32'})
    if device.type == 'cpu' and not skip_int8: paths['int8'] = (int8_copy(backbone), 'fp32')
    for name, (bb, precision) in paths.items():
        bb.model.to(device); bb.resolve_precision(device, precision)    # a forced precision's gate check is not timed
        with autocast(device, precision): warm_up(bb, device)
    if device.type == 'cpu' and not skip_ort:
        import tempfile
        engines, res['ort_fused'] = ort_engines(backbone, tempfile.mkdtemp())
        paths.update(engines)
        for e in engines.values(): e.outputs(texts[:8], ('features',))                    # first-call costs, untimed
    ceiling_of = lambda name: {'ort_fp32': 'fp32', 'ort_int8': 'int8'}.get(name, name)
    feats, seconds, ceilings, shares, rss = {}, {k: [] for k in paths}, [], {k: [] for k in paths}, {}
    for r in range(rounds):
        ceilings.append(matmul_ceiling(config, device))
        for name, path in paths.items():
            feats[name], s = timed(lambda: path_features(path, texts, device, max_tokens), device)
            seconds[name].append(s); rss[name] = peak_rss_mb()
            c = ceilings[-1].get(ceiling_of(name), ceilings[-1]['fp32'])
            shares[name].append(real_tokens / s * res['flops_per_token'] / 1e9 / c)
    res['ceiling_gflops'] = {p: float(np.median([c[p] for c in ceilings])) for p in ceilings[0]}
    res['ceiling_gflops_rounds'] = {p: [c[p] for c in ceilings] for p in ceilings[0]}
    table = {name: dict(seconds=float(np.median(s)), tok_s=real_tokens / float(np.median(s)), peak_rss_mb=rss[name],
                        share_of_ceiling=float(np.median(shares[name])), tok_s_rounds=[real_tokens / x for x in s], share_of_ceiling_rounds=shares[name])
             for name, s in seconds.items()}
    ref_feats, ref_s = timed(lambda: reference_features(backbone, texts, device), device)
    res.update(ref_s=ref_s, ref_tok_s=float(np.minimum(lengths, 500).sum() / ref_s), ref_peak_rss_mb=peak_rss_mb())
    fits = torch.from_numpy(lengths <= 500)
    for name, t in table.items():
        t['ratio'] = t['tok_s'] / res['ref_tok_s']
        t['cos_min_to_fp32'] = min(cos_min(feats[name][p], feats['fp32'][p]) for p in ('cls', 'mean') if feats[name][p] is not None)
        t['cos_min_to_reference'] = cos_min(feats[name]['cls'][fits], ref_feats[fits]) if feats[name]['cls'] is not None else None
    # today's keys, kept
    res.update(ours_s=table['fp32']['seconds'], ours_tok_s=table['fp32']['tok_s'], ours_peak_rss_mb=table['fp32']['peak_rss_mb'],
               ratio=table['fp32']['ratio'], ours_cos_min=table['fp32']['cos_min_to_reference'])
    if 'int8' in table: res.update(int8_s=table['int8']['seconds'], int8_tok_s=table['int8']['tok_s'], int8_peak_rss_mb=table['int8']['peak_rss_mb'],
                                   int8_ratio=table['int8']['ratio'], int8_cos_min=table['int8']['cos_min_to_reference'])
    if gate_data:
        res['gate_accuracy'] = gate_accuracy(paths, gate_data, device)
        acc = res['gate_accuracy']['accuracy']
        for name, t in table.items(): t['accuracy_drop_points'] = 100 * (acc['fp32'] - acc[name])
    for name, t in table.items():
        t['passes_gate'] = t['cos_min_to_fp32'] >= MIN_COS and t.get('accuracy_drop_points', 0) <= GATE_POINTS
    res['paths'] = table
    if device.type == 'cpu':                                          # one profiled pass, after the timed rounds: the gap to the ceiling, explained
        res['fp32_time_breakdown'] = time_breakdown(backbone, texts, device, config, max_tokens)
        res['fp32_time_breakdown']['linear_share_of_ceiling'] = res['fp32_time_breakdown']['linear_gflops'] / res['ceiling_gflops']['fp32']
    res['fp32_share_of_ceiling'] = table['fp32']['share_of_ceiling']
    best = max((k for k, t in table.items() if t['passes_gate']), key=lambda k: table[k]['tok_s'])
    res.update(best_gated_path=best, best_gated_ratio=table[best]['ratio'], best_gated_cos_min=table[best]['cos_min_to_fp32'],
               gate=dict(min_cos=MIN_COS, max_accuracy_drop_points=GATE_POINTS, accuracy_measured=bool(gate_data)))
    res['auto_precision'] = backbone.resolve_precision(device, 'auto')
    epoch_s = head_epoch_seconds(12_000, backbone.hidden_size)
    res['head_epoch_9600_s'] = head_epoch_seconds(9_600, backbone.hidden_size)
    per_text_ref, per_text_best = ref_s / len(texts), table[best]['seconds'] / len(texts)
    res['projection'] = dict(reviews=12_000, epochs=10, path=best, formula='reference = epochs * reviews * t_ref; bert_senti = reviews * t_best_gated + epochs * t_head_epoch',
                             reference_s=10 * 12_000 * per_text_ref, bert_senti_s=12_000 * per_text_best + 10 * epoch_s)
    res['projection']['speedup'] = res['projection']['reference_s'] / res['projection']['bert_senti_s']
    if json_: return print(json.dumps(res))
    print(f"{res['encoder']} on {res['n']} reviews, {res['device']}, {res['threads']} threads, {res['flops_per_token']/1e6:.0f} MFLOP per real token")
    print(f"medians of {res['rounds']} interleaved rounds")
    print('matmul ceiling (GFLOP/s): ' + ', '.join(f"{k} {v:.0f} ({min(res['ceiling_gflops_rounds'][k]):.0f}-{max(res['ceiling_gflops_rounds'][k]):.0f})" for k, v in res['ceiling_gflops'].items()))
    print(f"(a) reference, pad to 500, batch 16: {res['ref_tok_s']:8.0f} real tokens/s   1.00x")
    for name, t in table.items():
        acc = f", accuracy -{t['accuracy_drop_points']:.2f} pt" if 'accuracy_drop_points' in t else ''
        print(f"    bert_senti {name:5s}: {t['tok_s']:8.0f} real tokens/s  {t['ratio']:5.2f}x  {t['share_of_ceiling']:.0%} of its ceiling  cosine to fp32 >= {t['cos_min_to_fp32']:.5f}{acc}  {'passes' if t['passes_gate'] else 'FAILS'} the gate")
    if 'fp32_time_breakdown' in res:
        b = res['fp32_time_breakdown']
        print(f"fp32 time: Linear products {b['linear_time_share']:.1%} (at {b['linear_gflops']:.0f} GFLOP/s, {b['linear_share_of_ceiling']:.0%} of the ceiling), "
              f"attention {b['attention_time_share']:.1%}, the rest {b['other_time_share']:.1%}; padding {b['padding_share']:.1%} of positions")
    print(f"fastest path through the gate: {best}, {res['best_gated_ratio']:.2f}x the reference; auto picks {res['auto_precision']} here")
    p = res['projection']
    print(f"head epoch over 9,600 cached features: {res['head_epoch_9600_s']:.3f} s")
    print(f"projection, 12,000 reviews x 10 epochs ({p['formula']}):")
    print(f"  reference {p['reference_s']/3600:.1f} h, bert_senti {p['bert_senti_s']/60:.1f} min: {p['speedup']:.0f}x faster")

if __name__ == '__main__':
    a = parse_args()
    main(a.data, a.n, a.model, a.random_bert_base, a.max_tokens, a.skip_int8, a.json, a.device, a.gate_data, a.rounds, a.skip_ort)
