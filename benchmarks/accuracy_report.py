"""Accuracy report: every frozen-encoder configuration beside the TF-IDF baseline, on ChnSentiCorp, with one command.

Slow (it extracts every layer's mean-pooled features for 9,600 reviews with a real encoder), so it is a script, not part of `nbdev_test`:

    python benchmarks/accuracy_report.py --data ../shared/data/chnsenticorp/train.tsv \
        --model offline:multilingual-e5-small --out benchmarks/accuracy_e5_small.json

One extraction pass gives each review's mean-pooled vector from every layer (`layers='all'`); the last layer's block is what a
plain frozen head uses. On the same duplicate-aware split it trains: linear and one-hidden-layer heads on the last layer; the same
on all layers side by side; heads that mix the layers with learned softmax weights; the hybrid head (character n-gram TF-IDF beside
the features) on the last layer and on all layers; logistic regression on the same features as a reference; and the baselines:
character 1-3-gram TF-IDF with LinearSVC and the majority class. Every row gets its gap to the TF-IDF baseline (`vs_tfidf`, points).

`--seed N` draws another split (the committed runs: seed 42 in accuracy_e5_small.json, 1 and 2 in accuracy_e5_small_seedN.json).
`--split rows` splits rows at random instead of distinct texts, as a naive split would: ChnSentiCorp repeats 1,320 of its
texts, so copies land on both sides. It exists to show how much that leak inflates the numbers; do not report it as accuracy.
"""
import json, time
from pathlib import Path
import pandas as pd
import torch
from datasets import DatasetDict
from fastcore.script import call_parse, Param
from bert_senti.core import atomic_path
from bert_senti.data import load_corpus, read_table
from bert_senti.backbone import load_backbone, extract_features
from bert_senti.evaluate import compare_heads, best_head

def row_split(data, seed, valid_pct=0.1, test_pct=0.15) -> DatasetDict:
    "A naive random split over rows (the leaky way: copies of a text can land in train and test)."
    rows = read_table(data).shuffle(seed=seed)
    n_test, n_valid = int(len(rows) * test_pct), int(len(rows) * valid_pct)
    return DatasetDict(test=rows.select(range(n_test)), validation=rows.select(range(n_test, n_test + n_valid)),
                       train=rows.select(range(n_test + n_valid, len(rows))))

LAST = {'linear': dict(hidden=0), 'hidden 256, dropout 0.2': dict(hidden=256, dropout=0.2), 'hidden 1024, dropout 0.5': dict(hidden=1024, dropout=0.5)}

def all_layer_heads(n):
    "Heads over `n` layers side by side: concatenated, or mixed with learned softmax weights."
    return {'linear': dict(hidden=0), 'hidden 1024, dropout 0.5': dict(hidden=1024, dropout=0.5),
            'layer mix, linear': dict(layers=n, mix=True), 'layer mix, hidden 1024, dropout 0.5': dict(hidden=1024, dropout=0.5, layers=n, mix=True)}

@call_parse
def main(data:Param('corpus: TSV/CSV file, save_to_disk directory or hub id', str)=None,
         model:Param('encoder: hub id, local directory or offline: name', str)='offline:multilingual-e5-small',
         out:Param('JSON file to write', str)='benchmarks/accuracy_report.json',
         cache:Param('feature cache directory (omit to time a fresh extraction)', str)=None,
         epochs:Param('head epochs', int)=20, lr:Param('peak learning rate', float)=1e-3, seed:Param('split and training seed', int)=42,
         split:Param("'texts': duplicate-aware (honest); 'rows': naive random rows (leaks copies)", str)='texts',
         precision:Param("extraction precision: auto, fp32, bf16", str)='auto'):
    "Extract every layer in one pass, train every configuration and the baselines, and write the comparison table."
    corpus = load_corpus(data, valid_pct=0.1, test_pct=0.15, seed=seed) if split == 'texts' else row_split(data, seed)
    backbone = load_backbone(model)
    H, L = backbone.hidden_size, backbone.n_layers
    start = time.perf_counter()
    every = {k: extract_features(backbone, list(v['text']), 'mean', cache_dir=cache, layers='all', precision=precision)['mean'] for k, v in corpus.items()}
    extract_s = time.perf_counter() - start
    used = backbone.resolve_precision('auto', precision)
    labels = {k: torch.tensor(v['label']) for k, v in corpus.items()}
    texts = {k: list(v['text']) for k, v in corpus.items()}
    last = compare_heads({'mean, last layer': {k: v[:, -H:] for k, v in every.items()}}, labels, heads=LAST, texts=texts, epochs=epochs, lr=lr, seed=seed)
    deep = compare_heads({f'mean, all {L} layers': every}, labels, heads=all_layer_heads(L), texts=texts, epochs=epochs, lr=lr, seed=seed)
    table = pd.concat([last, deep[~deep['head'].str.endswith('(baseline)')]], ignore_index=True)
    train_texts = set(corpus['train']['text'])
    leaked = sum(t in train_texts for t in corpus['test']['text'])
    report = dict(encoder=str(model), data=Path(data).name, split=split, splits={k: len(v) for k, v in corpus.items()},
                  test_texts_also_in_train=leaked, epochs=epochs, lr=lr, seed=seed, layers=L, precision=used,
                  extract_s=round(extract_s, 1), cache_dir=cache and Path(cache).name,
                  threads=torch.get_num_threads(), table=table.round(4).to_dict('records'), best=best_head(table))
    print(table.round(4).to_string(index=False))
    print(f"best by validation accuracy: {report['best']['pooling']} / {report['best']['head']}: test accuracy {report['best']['test_acc']:.4f}, "
          f"{report['best']['vs_tfidf']:+.2f} points vs TF-IDF")
    with atomic_path(out) as tmp: tmp.write_text(json.dumps(report, indent=1, ensure_ascii=False))
