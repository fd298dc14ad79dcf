"""Fine-tuning beside the TF-IDF baseline: held-out accuracy and training time of top-k fine-tuning on duplicate-aware splits.

    python benchmarks/finetune_report.py --data ../shared/data/chnsenticorp/train.tsv --k 4 --seeds 42 1 2 --out benchmarks/finetune_e5_small_top4.json

For each seed: the same split as `accuracy_report.py` (train / validation / test, no test text in train), the TF-IDF baseline on it,
and `bert_senti.finetune.finetune` with the top `k` layers (length-bucketed batches of 32, max_length 256, early stopping on
validation); test accuracy is measured through the library's frozen extraction path on the tuned encoder, as a saved classifier
would predict. Training time includes caching the lower layers. Each run also fits the hybrid head (character n-gram TF-IDF
joined with the tuned encoder's features) and reports its accuracy and extra time.
"""
import argparse, json, time
from pathlib import Path
import numpy as np
import torch
from bert_senti.core import atomic_path
from bert_senti.data import load_corpus
from bert_senti.backbone import load_backbone, extract_features
from bert_senti.finetune import finetune
from bert_senti.evaluate import evaluate, tfidf_baseline
from bert_senti.train import train_hybrid

def main(data, model='offline:multilingual-e5-small', k='4', seeds=(42,), epochs=3, lr_encoder=5e-5, precision='auto', out=None):
    "Fine-tune on each seed's split and write the per-split results with their mean."
    backbone = load_backbone(model)
    runs = []
    for seed in seeds:
        corpus = load_corpus(data, valid_pct=0.1, test_pct=0.15, seed=seed)
        texts = {s: list(v['text']) for s, v in corpus.items()}; labels = {s: list(v['label']) for s, v in corpus.items()}
        tfidf = tfidf_baseline(texts, labels)
        start = time.perf_counter()
        tuned, head, hist = finetune(backbone, (texts['train'], labels['train']), (texts['validation'], labels['validation']), k=k,
                                     epochs=epochs, lrs=(lr_encoder, 1e-3), seed=seed, precision=precision, progress=False)
        train_s = time.perf_counter() - start
        feats = {s: extract_features(tuned, texts[s], 'mean', max_length=256, progress=False, precision=precision)['mean'] for s in ('test', 'validation')}
        test = evaluate(head, feats['test'], torch.tensor(labels['test']))
        start = time.perf_counter()     # the hybrid on the tuned encoder: extra cost is the training features and the regression
        feats['train'] = extract_features(tuned, texts['train'], 'mean', max_length=256, progress=False, precision=precision)['mean']
        hybrid, search = train_hybrid(texts['train'], feats['train'], labels['train'], texts['validation'], feats['validation'], labels['validation'])
        hybrid_s = time.perf_counter() - start
        htest = evaluate(hybrid, feats['test'], torch.tensor(labels['test']), texts=texts['test'])
        runs.append(dict(seed=seed, test_acc=test['accuracy'], tfidf_test_acc=tfidf['test_acc'], vs_tfidf=100 * (test['accuracy'] - tfidf['test_acc']),
                         train_s=train_s, hybrid_test_acc=htest['accuracy'], hybrid_vs_tfidf=100 * (htest['accuracy'] - tfidf['test_acc']),
                         hybrid_extra_s=hybrid_s, hybrid_choice=max(search, key=lambda r: r['valid_acc']), history=hist))
        print(json.dumps({k_: v for k_, v in runs[-1].items() if k_ != 'history'}))
    res = dict(encoder=model, k=k, epochs=epochs, lr_encoder=lr_encoder, threads=torch.get_num_threads(), precision=backbone.resolve_precision('auto', precision),
               runs=runs, mean_test_acc=float(np.mean([r['test_acc'] for r in runs])), mean_vs_tfidf=float(np.mean([r['vs_tfidf'] for r in runs])),
               mean_hybrid_test_acc=float(np.mean([r['hybrid_test_acc'] for r in runs])), mean_hybrid_vs_tfidf=float(np.mean([r['hybrid_vs_tfidf'] for r in runs])))
    print(f"top-{k}: mean test accuracy {res['mean_test_acc']:.4f}, {res['mean_vs_tfidf']:+.2f} points vs TF-IDF over {len(runs)} splits; "
          f"hybrid on the tuned encoder {res['mean_hybrid_test_acc']:.4f}, {res['mean_hybrid_vs_tfidf']:+.2f}")
    if out:
        with atomic_path(out) as tmp: tmp.write_text(json.dumps(res, indent=1))

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data', required=True); p.add_argument('--model', default='offline:multilingual-e5-small')
    p.add_argument('--k', default='4'); p.add_argument('--seeds', type=int, nargs='+', default=[42]); p.add_argument('--epochs', type=int, default=3)
    p.add_argument('--lr-encoder', type=float, default=5e-5); p.add_argument('--precision', default='auto'); p.add_argument('--out')
    a = p.parse_args()
    main(a.data, a.model, a.k, a.seeds, a.epochs, a.lr_encoder, a.precision, a.out)
