"""Accuracy report: linear vs one-hidden-layer heads, [CLS] vs mean pooling, beside logistic regression, on ChnSentiCorp.

Slow (it extracts features for 9,600 reviews with a real encoder), so it is a script, not part of `nbdev_test`:

    python benchmarks/accuracy_report.py --data ../shared/data/chnsenticorp/train.tsv \
        --model ~/.cache/bert_senti/multilingual-e5-small-q4 --out benchmarks/accuracy_e5_small.json

`--seed N` draws another split (the committed runs: seed 42 in accuracy_e5_small.json, 1-3 in accuracy_e5_small_seedN.json).
`--split rows` splits rows at random instead of distinct texts, as a naive split would: ChnSentiCorp repeats 1,320 of its
texts, so copies land on both sides. It exists to show how much that leak inflates the numbers; do not report it as accuracy.
"""
import json, time
from pathlib import Path
import torch
from datasets import DatasetDict
from fastcore.script import call_parse, Param
from bert_senti.data import load_corpus, read_table, atomic_path
from bert_senti.backbone import load_backbone, extract_features
from bert_senti.evaluate import compare_heads, best_head

def row_split(data, seed, valid_pct=0.1, test_pct=0.15) -> DatasetDict:
    "A naive random split over rows (the leaky way: copies of a text can land in train and test)."
    rows = read_table(data).shuffle(seed=seed)
    n_test, n_valid = int(len(rows) * test_pct), int(len(rows) * valid_pct)
    return DatasetDict(test=rows.select(range(n_test)), validation=rows.select(range(n_test, n_test + n_valid)),
                       train=rows.select(range(n_test + n_valid, len(rows))))

@call_parse
def main(data:Param('corpus: TSV/CSV file, save_to_disk directory or hub id', str)=None,
         model:Param('encoder: hub id or local directory', str)=None,
         out:Param('JSON file to write', str)='benchmarks/accuracy_report.json',
         cache:Param('feature cache directory (omit to time a fresh extraction)', str)=None,
         epochs:Param('head epochs', int)=20, lr:Param('peak learning rate', float)=1e-3, seed:Param('split and training seed', int)=42,
         split:Param("'texts': duplicate-aware (honest); 'rows': naive random rows (leaks copies)", str)='texts'):
    "Extract both poolings in one pass per split, train every head, and write the comparison table."
    corpus = load_corpus(data, valid_pct=0.1, test_pct=0.15, seed=seed) if split == 'texts' else row_split(data, seed)
    backbone = load_backbone(model)
    features, extract_s = {'cls': {}, 'mean': {}}, 0.0
    for name, ds in corpus.items():
        start = time.perf_counter()
        for pooling, f in extract_features(backbone, list(ds['text']), ('cls', 'mean'), cache_dir=cache).items(): features[pooling][name] = f
        extract_s += time.perf_counter() - start
    labels = {k: torch.tensor(v['label']) for k, v in corpus.items()}
    table = compare_heads(features, labels, epochs=epochs, lr=lr, seed=seed)
    train_texts = set(corpus['train']['text'])
    leaked = sum(t in train_texts for t in corpus['test']['text'])
    report = dict(encoder=Path(model).name, data=Path(data).name, split=split, splits={k: len(v) for k, v in corpus.items()},
                  test_texts_also_in_train=leaked, epochs=epochs, lr=lr, seed=seed,
                  extract_s=round(extract_s, 1), cache_dir=cache and Path(cache).name,
                  threads=torch.get_num_threads(), table=table.round(4).to_dict('records'), best=best_head(table))
    print(table.round(4).to_string(index=False))
    print(f"best by validation accuracy: {report['best']['pooling']} / {report['best']['head']}: test accuracy {report['best']['test_acc']:.4f}")
    with atomic_path(out) as tmp: tmp.write_text(json.dumps(report, indent=1, ensure_ascii=False))
