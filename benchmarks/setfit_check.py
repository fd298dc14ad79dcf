"""SetFit beside bert_senti's default on the same encoder, draws and held-out reviews as `few_labels.py`.

SetFit is not a bert_senti dependency; run this where it is installed (its 1.2 release works with transformers 5):

    python -m venv --system-site-packages /tmp/setfit && /tmp/setfit/bin/pip install setfit==1.2.0
    /tmp/setfit/bin/python benchmarks/setfit_check.py --chnsenticorp ../shared/data/chnsenticorp/train.tsv \
        --ns 8,16 --draws 0,1,2 --out benchmarks/setfit_e5_small.json

SetFit runs with its defaults (contrastive fine-tuning of the whole encoder for one epoch over oversampled pairs,
batches of 16 pairs, then scikit-learn's `LogisticRegression()`), on the encoder bert_senti loads (saved to a temporary
directory and read by sentence-transformers with mean pooling), texts cut at 256 tokens. Each row is one draw of
`few_labels.py`'s table (the same seed, so the same labelled texts); the held-out reviews are its 860. bert_senti's
default is trained on the same draw in the same run, on frozen features encoded once before: `encode_s` is its texts'
share of that encoding, at the rate measured by the first run (whose cache was empty). Rows already in `--out` are kept,
so a run can be split into several.
"""
import json, sys, tempfile, time
import numpy as np
from pathlib import Path
from fastcore.script import call_parse, Param
sys.path.insert(0, str(Path(__file__).parent))
from few_labels import corpus_features, held_out, train_rows, score
from bert_senti.core import atomic_path
from bert_senti.backbone import load_backbone

def setfit_accuracy(enc_dir, texts, y, train, test, seed):
    "Train SetFit with its defaults on rows `train`; its held-out accuracy on rows `test` and the training seconds."
    from sentence_transformers import SentenceTransformer, models
    from setfit import SetFitModel, Trainer, TrainingArguments
    from sklearn.linear_model import LogisticRegression
    from datasets import Dataset
    body = SentenceTransformer(modules=[models.Transformer(enc_dir, max_seq_length=256), models.Pooling(
        models.Transformer(enc_dir).get_word_embedding_dimension(), 'mean')], device='cpu')
    model = SetFitModel(model_body=body, model_head=LogisticRegression())
    ds = Dataset.from_dict(dict(text=[texts[i] for i in train], label=[int(y[i]) for i in train]))
    start = time.perf_counter()
    Trainer(model=model, args=TrainingArguments(
        batch_size=16, num_epochs=1, seed=seed, output_dir=f'{enc_dir}/checkpoints'), train_dataset=ds).train()
    seconds = time.perf_counter() - start
    return float((np.asarray(model.predict([texts[i] for i in test])) == y[test]).mean()), seconds

@call_parse
def main(chnsenticorp:Param('ChnSentiCorp train.tsv', str)=None,
         model:Param('encoder', str)='offline:multilingual-e5-small',
         ns:Param('labelled texts per class, comma-separated', str)='8,16',
         draws:Param('draws, comma-separated (the seeds of few_labels.py)', str)='0,1,2',
         cache_dir:Param('feature cache', str)=None,
         out:Param('JSON file to write', str)='benchmarks/setfit_e5_small.json'):
    bb = load_backbone(model)
    start = time.perf_counter()
    texts, y, names, x = corpus_features(chnsenticorp, bb, cache_dir)
    index, (test, pool) = {t: i for i, t in enumerate(texts)}, held_out(y, 860)
    report = json.loads(Path(out).read_text(encoding='utf-8')) if Path(out).exists() else dict(model=model, rows=[])
    per_text = report.setdefault('encode_s_per_text', (time.perf_counter() - start) / len(texts))  # the first run's
    with tempfile.TemporaryDirectory() as enc_dir:
        bb.save(enc_dir)
        for n in map(int, ns.split(',')):
            for d in map(int, draws.split(',')):
                if any(r['n_per_class'] == n and r['draw'] == d for r in report['rows']): continue
                rng = np.random.default_rng(100 + d)     # as few_labels.table draws
                train = np.concatenate([rng.choice(pool[y[pool] == c], n, replace=False) for c in range(len(names))])
                head, t, _, default_s = train_rows(train, texts, y, names, x, index)
                _, ours = score(head, t, texts, x, y, test, names)
                acc, secs = setfit_accuracy(enc_dir, texts, y, train, test, d)
                report['rows'].append(dict(n_per_class=n, draw=d, accuracy=acc, train_s=secs, default=dict(
                    accuracy=ours['accuracy'], train_s=default_s, encode_s=per_text * len(train))))
                print(report['rows'][-1], flush=True)
                with atomic_path(out) as tmp: tmp.write_text(json.dumps(report, indent=1), encoding='utf-8')
