"""Feature extraction benchmark: the reference recipe vs bert_senti, on the same texts and encoder, in one run.

    python benchmarks/bench_extract.py --data ../shared/data/chnsenticorp/train.tsv --random-bert-base --json

(a) reference: batches of 16 in corpus order, every text padded (and truncated) to 500 tokens, one backbone forward per
    batch, as the reference notebook's training loop ran it on every step;
(b) bert_senti: `extract_features` exactly as the library runs it (one length-sorted pass, dynamic padding);
(c) int8: the same path on a `torch.ao` dynamically quantised copy of the encoder (Linear layers in int8).
Speeds are real (non-pad) tokens per second. Not part of `nbdev_test`.
"""
import argparse, json, resource, time
from inspect import signature
from pathlib import Path
import numpy as np
import torch
from transformers import BertConfig, BertModel
from bert_senti.tokenizer import char_tokenizer, token_lengths
from bert_senti.data import read_table
from bert_senti.backbone import Backbone, extract_features, load_backbone
from bert_senti.train import train_head

def peak_rss_mb() -> float:
    "Peak resident memory of this process so far, in MiB."
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

def random_bert_base_model(texts) -> Backbone:
    "A randomly initialised model of bert-base-chinese's shape, with a per-character tokenizer (timing only)."
    torch.manual_seed(0)
    config = BertConfig(vocab_size=21128, hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072)
    return Backbone(BertModel(config, add_pooling_layer=False), char_tokenizer(texts), 'random-bert-base-chinese-shape')

def reference_features(backbone, texts, bs=16, pad_to=500) -> torch.Tensor:
    "The reference recipe: pad every text to `pad_to`, forward batch by batch, take [CLS]."
    out = []
    with torch.no_grad():
        for i in range(0, len(texts), bs):
            batch = backbone.tokenizer(texts[i:i+bs], truncation=True, padding='max_length', max_length=pad_to, return_tensors='pt')
            out.append(backbone.model(**batch).last_hidden_state[:, 0])
    return torch.cat(out)

def warm_up(backbone):
    "One untimed forward at the reference's shape and one short batch, so no path pays first-call costs in its timing."
    with torch.inference_mode():
        for shape in [(16, 500), (8, 64)]: backbone.model(torch.full(shape, backbone.tokenizer.unk_token_id or 1))

def timed(fn):
    "(result, seconds) of calling `fn`."
    start = time.perf_counter(); result = fn(); return result, time.perf_counter() - start

def head_epoch_seconds(n, hidden_size, epochs=3) -> float:
    "Seconds per head epoch over `n` cached feature vectors (linear head, batch 64)."
    x, y = torch.randn(n, hidden_size), torch.randint(0, 2, (n,))
    _, s = timed(lambda: train_head(x, y, x[:500], y[:500], epochs=epochs, progress=False))
    return s / epochs

def parse_args(argv=None):
    "The command line of this benchmark."
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data', required=True, help='TSV/CSV corpus file')
    p.add_argument('--n', type=int, default=256, help='number of reviews')
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument('--model', help='encoder: hub id or local directory')
    src.add_argument('--random-bert-base', action='store_true', help='time a random bert-base-chinese-shaped model (no download)')
    p.add_argument('--max-tokens', type=int, default=None, help="bert_senti's padded positions per batch (default: the library's)")
    p.add_argument('--skip-int8', action='store_true', help='do not time the int8 path')
    p.add_argument('--json', action='store_true', help='print one JSON object')
    return p.parse_args(argv)

def main(data, n=256, model=None, random_bert_base=False, max_tokens=None, skip_int8=False, json_=False):
    "Measure (a), (b), (c) on the same texts and print speeds, ratios, agreement and a training-time projection."
    texts = list(read_table(data)['text'][:n])
    backbone = random_bert_base_model(texts) if random_bert_base else load_backbone(model)
    lengths = token_lengths(backbone.tokenizer, texts)
    max_tokens = max_tokens or signature(extract_features).parameters['max_tokens'].default
    real_tokens = float(np.minimum(lengths, 512).sum())
    extract = lambda bb: extract_features(bb, texts, 'cls', max_length=512, max_tokens=max_tokens, progress=False)['cls']
    warm_up(backbone)
    ours_feats, ours_s = timed(lambda: extract(backbone))
    ours_mem = peak_rss_mb()
    res = dict(encoder=Path(backbone.name).name, n=len(texts), threads=torch.get_num_threads(), max_tokens=max_tokens,
               ours_s=ours_s, ours_tok_s=real_tokens / ours_s, ours_peak_rss_mb=ours_mem)
    if not skip_int8:
        q = torch.ao.quantization.quantize_dynamic(backbone.model, {torch.nn.Linear}, dtype=torch.qint8)
        int8 = Backbone(q, backbone.tokenizer, backbone.name + '-int8')
        int8.fingerprint = backbone.fingerprint + '-int8'
        warm_up(int8)
        int8_feats, int8_s = timed(lambda: extract(int8))
        res.update(int8_s=int8_s, int8_tok_s=real_tokens / int8_s, int8_peak_rss_mb=peak_rss_mb())
    ref_feats, ref_s = timed(lambda: reference_features(backbone, texts))
    res.update(ref_s=ref_s, ref_tok_s=float(np.minimum(lengths, 500).sum() / ref_s), ref_peak_rss_mb=peak_rss_mb())
    res['ratio'] = res['ours_tok_s'] / res['ref_tok_s']
    fits = lengths <= 500
    cos = lambda a, b: torch.nn.functional.cosine_similarity(a[fits], b[fits]).min().item()
    res['ours_cos_min'] = cos(ours_feats, ref_feats)
    if not skip_int8: res.update(int8_ratio=res['int8_tok_s'] / res['ref_tok_s'], int8_cos_min=cos(int8_feats, ref_feats))
    epoch_s = head_epoch_seconds(12_000, backbone.hidden_size)
    res['head_epoch_9600_s'] = head_epoch_seconds(9_600, backbone.hidden_size)
    per_text_ref, per_text_ours = ref_s / len(texts), ours_s / len(texts)
    res['projection'] = dict(reviews=12_000, epochs=10, formula='reference = epochs * reviews * t_ref; bert_senti = reviews * t_ours + epochs * t_head_epoch',
                             reference_s=10 * 12_000 * per_text_ref, bert_senti_s=12_000 * per_text_ours + 10 * epoch_s)
    res['projection']['speedup'] = res['projection']['reference_s'] / res['projection']['bert_senti_s']
    if json_: return print(json.dumps(res))
    print(f"{res['encoder']} on {res['n']} reviews, {res['threads']} threads")
    print(f"(a) reference, pad to 500, batch 16 : {res['ref_tok_s']:8.0f} real tokens/s   1.00x   peak RSS {res['ref_peak_rss_mb']:.0f} MiB")
    print(f"(b) bert_senti, sorted, dynamic pad : {res['ours_tok_s']:8.0f} real tokens/s  {res['ratio']:5.2f}x   cosine to (a) >= {res['ours_cos_min']:.5f}   peak RSS {ours_mem:.0f} MiB")
    if not skip_int8:
        print(f"(c) int8 (torch.ao dynamic)         : {res['int8_tok_s']:8.0f} real tokens/s  {res['int8_ratio']:5.2f}x   cosine to (a) >= {res['int8_cos_min']:.5f}")
    p = res['projection']
    print(f"head epoch over 9,600 cached features: {res['head_epoch_9600_s']:.3f} s")
    print(f"projection, 12,000 reviews x 10 epochs ({p['formula']}):")
    print(f"  reference {p['reference_s']/3600:.1f} h, bert_senti {p['bert_senti_s']/60:.1f} min: {p['speedup']:.0f}x faster")

if __name__ == '__main__':
    a = parse_args()
    main(a.data, a.n, a.model, a.random_bert_base, a.max_tokens, a.skip_int8, a.json)
