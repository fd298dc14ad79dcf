"""Your own labels: a seven-class emotion corpus, every model family beside the TF-IDF floor, on duplicate-aware splits.

Slow (it extracts every layer of a real encoder for each split and fine-tunes it), so it is a script, not part of `nbdev_test`:

    python benchmarks/labels_report.py --data ../shared/data/clue_emotion2020 --seed 0 --out benchmarks/labels_e5_small_seed0.json

`--data` is any labelled corpus `load_corpus` reads (here a directory of two JSON Lines files whose texts are in `content`: all of
it is training data, split here). Each seed draws one stratified split over *distinct* texts: 65% train, 10% validation, 25% test.
On it, with macro-F1 choosing every setting and epoch (accuracy hides rare classes):

- the floor: character 1-3-gram TF-IDF + LinearSVC, C chosen on validation, plain and with balanced class weights;
- frozen encoder (mean-pooled last layer, and all layers side by side): a linear head, plain and balanced;
- the hybrid head (TF-IDF beside the last layer's features), plain and balanced;
- fine-tuned: the encoder's top `--finetune` layers with a linear head (balanced), then the hybrid head on the tuned encoder.

Every trained row gets its temperature fitted on validation and the test ECE before and after. Per-class F1 and the confusion
matrix are kept for every row, so the chapter can draw them. `--tfidf_only` recomputes only the two TF-IDF rows of an existing
report (seconds; the split is the same for the same seed and data).
"""
import json, time
from pathlib import Path
import torch
from fastcore.script import call_parse, Param, store_true
from bert_senti.core import atomic_path
from bert_senti.data import load_corpus
from bert_senti.backbone import load_backbone, extract_features
from bert_senti.train import train_head, train_hybrid
from bert_senti.finetune import finetune
from bert_senti.core import calibration_error, metrics
from bert_senti.evaluate import fit_temperature, predict_logits, tfidf_baseline

def scored(name, head, feats, labels, texts, names, start, **extra) -> dict:
    "Test metrics of a trained head, calibrated on validation, with the test ECE before and after."
    logits = {k: predict_logits(head, feats[k], texts=texts[k]) for k in ('validation', 'test')}
    T = fit_temperature(logits['validation'], labels['validation'])
    m = metrics(labels['test'], logits['test'].argmax(1), names)
    valid = metrics(labels['validation'], logits['validation'].argmax(1), names)
    return dict(model=name, test_acc=m['accuracy'], test_f1=m['macro_f1'], valid_f1=valid['macro_f1'], temperature=T,
                ece_before=calibration_error(logits['test'].softmax(1), labels['test']),
                ece_after=calibration_error((logits['test'] / T).softmax(1), labels['test']),
                per_class={n: v['f1'] for n, v in m['per_class'].items()}, confusion=m['confusion'],
                train_s=time.perf_counter() - start, **extra)

@call_parse
def main(data:Param('labelled corpus: file, directory or hub id', str)=None,
         model:Param('encoder: hub id, local directory or offline: name', str)='offline:multilingual-e5-small',
         out:Param('JSON file to write', str)='benchmarks/labels_report.json',
         seed:Param('split and training seed', int)=0,
         finetune_k:Param("top layers to fine-tune ('all' or a number; 0: skip)", str)='all',
         epochs:Param('fine-tuning epochs (at most; early stopping on validation macro-F1)', int)=4,
         lr_encoder:Param('peak learning rate of the tuned layers', float)=1e-4,
         text_column:Param('text column', str)=None,
         tfidf_only:Param('only recompute the TF-IDF rows of an existing --out report (same split)', store_true)=False):
    "Split, extract, train every model family and the baselines, and write the comparison."
    t0 = time.perf_counter()
    corpus = load_corpus(data, valid_pct=0.1, test_pct=0.25, seed=seed, text_column=text_column)
    names = corpus['train'].features['label'].names
    texts = {k: list(v['text']) for k, v in corpus.items()}
    labels = {k: torch.tensor(v['label']) for k, v in corpus.items()}
    rows = []
    for cw in (None, 'balanced'):
        tf = tfidf_baseline(texts, labels, metric='macro_f1', class_weight=cw, label_names=names)
        rows.append(dict(model='TF-IDF char 1-3 + LinearSVC' + (', balanced' if cw else ''), test_acc=tf['test_acc'], test_f1=tf['test_f1'],
                         valid_f1=tf['valid_f1'], train_s=tf['train_s'], baseline=True, per_class=tf['per_class'], confusion=tf['confusion']))
    if tfidf_only:                                      # the rest of the report as it was: its split is the same for the same seed
        report = json.loads(Path(out).read_text(encoding='utf-8'))
        assert report['seed'] == seed and report['sizes'] == {k: len(v) for k, v in texts.items()}, 'another split'
        for r in rows: r['vs_tfidf_f1'] = (r['test_f1'] - rows[0]['test_f1']) * 100
        report['table'] = rows + [r for r in report['table'] if not r.get('baseline')]
        with atomic_path(Path(out)) as tmp: tmp.write_text(json.dumps(report, indent=1, ensure_ascii=False))
        return
    backbone = load_backbone(model)
    H, L = backbone.hidden_size, backbone.n_layers
    start = time.perf_counter()
    every = {k: extract_features(backbone, v, 'mean', layers='all', progress=False)['mean'] for k, v in texts.items()}
    extract_s = time.perf_counter() - start
    precision = backbone.resolve_precision('auto')
    feats = {'last layer': {k: v[:, -H:] for k, v in every.items()}, f'all {L} layers': every}
    for fname, fx in feats.items():
        for cw in (None, 'balanced'):
            start = time.perf_counter()
            kw = dict(class_weight=cw, metric='macro_f1', n_out=len(names))
            head, _ = train_head(fx['train'], labels['train'], fx['validation'], labels['validation'], epochs=20, lr=1e-3, seed=seed, progress=False, **kw)
            rows.append(scored(f"frozen, {fname}: linear" + (', balanced' if cw else ''), head, fx, labels, texts, names, start))
            if fname == 'last layer':
                start = time.perf_counter()
                hyb, _ = train_hybrid(texts['train'], fx['train'], labels['train'], texts['validation'], fx['validation'], labels['validation'], **kw)
                rows.append(scored(f"frozen, last layer: hybrid (TF-IDF + features)" + (', balanced' if cw else ''), hyb, fx, labels, texts, names, start))
    print(json.dumps([{k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items() if k in ('model', 'test_acc', 'test_f1')} for r in rows], ensure_ascii=False))
    tuned_rows = []
    if finetune_k != '0':
        start = time.perf_counter()
        tuned, head, history = finetune(backbone, (texts['train'], labels['train']), (texts['validation'], labels['validation']), k=finetune_k,
                                        epochs=epochs, lrs=(lr_encoder, 1e-3), seed=seed, max_length=256, n_out=len(names),
                                        class_weight='balanced', metric='macro_f1', progress=False)
        tune_s = time.perf_counter() - start
        tx = {k: extract_features(tuned, v, 'mean', max_length=256, progress=False)['mean'] for k, v in texts.items()}
        tuned_rows.append(scored(f"fine-tuned top {finetune_k}: linear, balanced", head, tx, labels, texts, names, start - 0, history=history, tune_s=tune_s))
        start = time.perf_counter()
        hyb, _ = train_hybrid(texts['train'], tx['train'], labels['train'], texts['validation'], tx['validation'], labels['validation'],
                              class_weight='balanced', metric='macro_f1', n_out=len(names))
        tuned_rows.append(scored(f"fine-tuned top {finetune_k}: hybrid, balanced", hyb, tx, labels, texts, names, start, extra_after_tuning=True))
    rows += tuned_rows
    tfidf_f1 = rows[0]['test_f1']
    for r in rows: r['vs_tfidf_f1'] = (r['test_f1'] - tfidf_f1) * 100
    counts = {n: int((labels['train'] == i).sum()) for i, n in enumerate(names)}
    report = dict(data=Path(data).name, encoder=model, seed=seed, labels=names, train_counts=counts,
                  sizes={k: len(v) for k, v in texts.items()}, precision=precision, extract_s=extract_s, threads=torch.get_num_threads(),
                  finetune=dict(k=finetune_k, epochs=epochs, lr_encoder=lr_encoder), total_s=time.perf_counter() - t0, table=rows)
    with atomic_path(Path(out)) as tmp: tmp.write_text(json.dumps(report, indent=1, ensure_ascii=False))
    for r in rows: print(f"{r['model']:55s} acc {r['test_acc']:.4f}  macro-F1 {r['test_f1']:.4f}  {r['vs_tfidf_f1']:+.2f}")
