"""Few labels: accuracy at N labelled texts per class, and simulated labelling loops (random vs uncertainty picks).

    python benchmarks/few_labels.py --chnsenticorp ../shared/data/chnsenticorp/train.tsv \
        --clue ../shared/data/clue_emotion2020 --out benchmarks/few_labels_e5_small.json

Every text is encoded once by the frozen encoder (distinct texts whose copies agree on their label); everything after that
runs on those features with the library's own functions, so each row is what `train_classifier` would train:

- held out: a fixed stratified sample of distinct texts (ChnSentiCorp: 860; CLUEmotion2020: 25%), never drawn for training;
- table: for N in 8..512 labelled texts per class and 3 draws each, the TF-IDF floor (character 1-3-grams, LinearSVC,
  fitted on the N texts), scikit-learn's `LogisticRegression()` on the same features (the control), bert_senti's default
  (selection `auto`: cross-validation below 1,000 texts), the same head chosen on a held-out tenth (`holdout`, the old
  behaviour) and the hybrid head; held-out accuracy and training seconds;
- labelling loop: start from 16 labels per class, then rounds of picks from the rest of the pool (random, margin
  uncertainty, uncertainty + diversity), retraining the default classifier each round; 3 seeds.

`--tables_only` reruns the tables and keeps the loops of the existing `--out` (whose rows never hold out a split).
"""
import json, time
import numpy as np, torch
from pathlib import Path
from fastcore.script import call_parse, Param, store_true
from bert_senti.core import atomic_path
from bert_senti.data import load_corpus
from bert_senti.backbone import load_backbone, extract_features
from bert_senti.classifier import TrainSettings, check_settings, train_settings, training_corpus, fit_classifier_head, \
    calibrated_scores
from bert_senti.evaluate import predict_proba
from bert_senti.few_labels import pick
from bert_senti.core import metrics

def corpus_features(src, backbone, cache_dir):
    "Distinct texts whose copies agree, their labels, class names and mean-pooled features."
    c = load_corpus(src, valid_pct=0)
    names, seen = c['train'].features['label'].names, {}
    for t, l in zip(c['train']['text'], c['train']['label']): seen.setdefault(t, set()).add(l)
    texts = [t for t, ls in seen.items() if len(ls) == 1]
    x = extract_features(backbone, texts, ('mean',), progress=False, cache_dir=cache_dir)['mean'].numpy()
    return texts, np.array([next(iter(seen[t])) for t in texts]), names, x

def held_out(y, n, seed=0):
    "A stratified sample of `n` row indices, and the rest."
    rng, idx = np.random.default_rng(seed), []
    for c in np.unique(y):
        rows = np.flatnonzero(y == c); idx += list(rng.choice(rows, round(n * len(rows) / len(y)), replace=False))
    test = np.array(sorted(idx)); return test, np.setdiff1d(np.arange(len(y)), test)

def train_rows(rows, texts, y, names, x, index, **settings):
    "The library's training on rows `rows`: `(head, temperature, scores, seconds)`."
    start = time.perf_counter()
    s = check_settings(train_settings(TrainSettings(), label_names=list(names), **settings))
    tx, ys, _, _, s = training_corpus([texts[i] for i in rows], [names[y[i]] for i in rows], s)
    feats = {k: torch.as_tensor(x[[index[t] for t in v]]) for k, v in tx.items()}
    head, _, cv = fit_classifier_head(feats, ys, tx, len(names), s, 'cpu', progress=False)
    t, scores, _ = calibrated_scores(head, feats, ys, tx, names, True, cv)
    return head, t, scores, time.perf_counter() - start

def score(head, t, texts, x, y, rows, names):
    p = predict_proba(head, torch.as_tensor(x[rows]), texts=[texts[i] for i in rows], temperature=t).numpy()
    m = metrics(y[rows], p.argmax(1), names)
    return p, dict(accuracy=m['accuracy'], macro_f1=m['macro_f1'])

def tfidf_floor(texts, y, train, test, names, balanced):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC
    start = time.perf_counter()
    vec = TfidfVectorizer(analyzer='char', ngram_range=(1, 3), sublinear_tf=True)
    xt = vec.fit_transform([texts[i] for i in train])
    m = LinearSVC(class_weight='balanced' if balanced else None).fit(xt, y[train])
    pred = m.predict(vec.transform([texts[i] for i in test]))
    r = metrics(y[test], pred, names)
    return dict(accuracy=r['accuracy'], macro_f1=r['macro_f1'], train_s=time.perf_counter() - start)

def logreg_control(x, y, train, test, names, balanced):
    from sklearn.linear_model import LogisticRegression
    start = time.perf_counter()
    m = LogisticRegression(max_iter=3000, class_weight='balanced' if balanced else None).fit(x[train], y[train])
    r = metrics(y[test], m.predict(x[test]), names)
    return dict(accuracy=r['accuracy'], macro_f1=r['macro_f1'], train_s=time.perf_counter() - start)

def table(texts, y, names, x, test, pool, ns, draws, balanced):
    index, rows = {t: i for i, t in enumerate(texts)}, []
    extra = dict(class_weight='balanced', metric='macro_f1') if balanced else {}
    for n in ns:
        for d in range(draws):
            rng = np.random.default_rng(100 + d)
            train = np.concatenate([rng.choice(pool[y[pool] == c], n, replace=False) for c in range(len(names))])
            row = dict(n_per_class=n, draw=d, tfidf=tfidf_floor(texts, y, train, test, names, balanced),
                       logreg=logreg_control(x, y, train, test, names, balanced))
            for name, kw in (('default', {}), ('holdout', dict(selection='holdout')), ('hybrid', dict(ngrams=True))):
                head, t, sc, secs = train_rows(train, texts, y, names, x, index, **kw, **extra)
                _, r = score(head, t, texts, x, y, test, names)
                row[name] = dict(r, train_s=secs, estimate=sc['validation']['accuracy'],
                                 estimate_n=sc['validation']['n'], interval=sc['validation']['interval'])
            rows.append(row)
            print(n, d, {k: round(v['accuracy'], 3) for k, v in row.items() if isinstance(v, dict)}, flush=True)
    return rows

def loop(texts, y, names, x, test, pool, start_n, step, rounds, seeds, balanced):
    index, out = {t: i for i, t in enumerate(texts)}, []
    extra = dict(class_weight='balanced', metric='macro_f1') if balanced else {}
    for seed in range(seeds):
        rng = np.random.default_rng(200 + seed)
        first = np.concatenate([rng.choice(pool[y[pool] == c], start_n, replace=False) for c in range(len(names))])
        for strategy in ('random', 'uncertainty', 'diverse'):
            labelled, curve = list(first), []
            for r in range(rounds + 1):
                head, t, _, _ = train_rows(np.array(labelled), texts, y, names, x, index, **extra)
                _, m = score(head, t, texts, x, y, test, names)
                curve.append(dict(labels=len(labelled), **m))
                if r == rounds: break
                rest = np.setdiff1d(pool, labelled)
                if strategy == 'random': new = rng.choice(rest, step, replace=False)
                else:
                    p, _ = score(head, t, texts, x, y, rest, names)
                    new = rest[pick(p, step, features=x[rest] if strategy == 'diverse' else None, seed=seed)]
                labelled += list(new)
            out.append(dict(seed=seed, strategy=strategy, curve=curve))
            print(seed, strategy, [round(c['accuracy' if not balanced else 'macro_f1'], 3) for c in curve], flush=True)
    return out

@call_parse
def main(chnsenticorp:Param('ChnSentiCorp train.tsv', str)=None,
         clue:Param('CLUEmotion2020 directory', str)=None,
         model:Param('encoder', str)='offline:multilingual-e5-small',
         cache_dir:Param('feature cache', str)=None,
         out:Param('JSON file to write', str)='benchmarks/few_labels_e5_small.json',
         draws:Param('draws per N', int)=3, seeds:Param('seeds of the labelling loop', int)=3,
         tables_only:Param('rerun the tables only, keeping the labelling loops of an existing --out', store_true)=False):
    t0, bb, report = time.perf_counter(), load_backbone(model), dict(model=model)
    old = json.loads(Path(out).read_text(encoding='utf-8')) if tables_only else None
    loop_ = (lambda *a, key: old[key]['loop']) if tables_only else (lambda *a, key: loop(*a))
    if chnsenticorp:
        texts, y, names, x = corpus_features(chnsenticorp, bb, cache_dir)
        test, pool = held_out(y, 860)
        report['chnsenticorp'] = dict(
            distinct=len(texts), test=len(test), pool=len(pool), majority=float(np.bincount(y[test]).max() / len(test)),
            table=table(texts, y, names, x, test, pool, (8, 16, 32, 64, 128, 512), draws, False),
            loop=loop_(texts, y, names, x, test, pool, 16, 50, 8, seeds, False, key='chnsenticorp'))
    if clue:
        texts, y, names, x = corpus_features(clue, bb, cache_dir)
        test, pool = held_out(y, round(0.25 * len(y)))
        report['clue'] = dict(
            distinct=len(texts), test=len(test), pool=len(pool), names=names,
            table=table(texts, y, names, x, test, pool, (8, 16, 32, 64), draws, True),
            loop=loop_(texts, y, names, x, test, pool, 16, 100, 6, seeds, True, key='clue'))
    report['seconds'] = time.perf_counter() - t0
    with atomic_path(out) as tmp: tmp.write_text(json.dumps(report, indent=1), encoding='utf-8')
    print(f"wrote {out} in {report['seconds']:.0f} s")
