"""Accuracy report: linear vs one-hidden-layer heads, [CLS] vs mean pooling, beside logistic regression, on ChnSentiCorp.

Slow (it extracts features for 9,600 reviews with a real encoder), so it is a script, not part of `nbdev_test`:

    python benchmarks/accuracy_report.py --data ../shared/data/chnsenticorp/train.tsv \
        --model ~/.cache/bert_senti/multilingual-e5-small-q4 --out benchmarks/accuracy_e5_small.json
"""
import json, time
from pathlib import Path
import torch
from fastcore.script import call_parse, Param
from bert_senti.data import load_corpus
from bert_senti.backbone import load_backbone, extract_features
from bert_senti.evaluate import HEADS, compare_heads, best_head

@call_parse
def main(data:Param('corpus: TSV/CSV file, save_to_disk directory or hub id', str)=None,
         model:Param('encoder: hub id or local directory', str)=None,
         out:Param('JSON file to write', str)='benchmarks/accuracy_report.json',
         cache:Param('feature cache directory (omit to time a fresh extraction)', str)=None,
         epochs:Param('head epochs', int)=20, lr:Param('peak learning rate', float)=1e-3, seed:Param('split and training seed', int)=42):
    "Extract both poolings in one pass per split, train every head, and write the comparison table."
    corpus = load_corpus(data, valid_pct=0.1, test_pct=0.15, seed=seed)
    backbone = load_backbone(model)
    features, extract_s = {'cls': {}, 'mean': {}}, 0.0
    for split, ds in corpus.items():
        start = time.perf_counter()
        for pooling, f in extract_features(backbone, list(ds['text']), ('cls', 'mean'), cache_dir=cache).items(): features[pooling][split] = f
        extract_s += time.perf_counter() - start
    labels = {k: torch.tensor(v['label']) for k, v in corpus.items()}
    table = compare_heads(features, labels, HEADS, epochs=epochs, lr=lr, seed=seed)
    report = dict(encoder=Path(model).name, data=Path(data).name, splits={k: len(v) for k, v in corpus.items()}, epochs=epochs, lr=lr, seed=seed,
                  extract_s=round(extract_s, 1), extraction='from cache' if cache else 'fresh, both poolings in one pass',
                  threads=torch.get_num_threads(), table=table.round(4).to_dict('records'), best=best_head(table))
    print(table.round(4).to_string(index=False))
    print(f"best by validation accuracy: {report['best']['pooling']} / {report['best']['head']}: test accuracy {report['best']['test_acc']:.4f}")
    Path(out).write_text(json.dumps(report, indent=1, ensure_ascii=False))
