"""Count what makes the book readable and the library small, against the targets the book keeps.

    python tools/book_stats.py            # a table, and exit status 1 when a target is missed
    python tools/book_stats.py --json     # the same numbers as JSON (the index shows them)

Counted: exported definitions directly followed by an example or test (the next code cell is not exported),
functions over 40 lines or with more than 12 parameters in the library, library lines over 120 characters,
cells per main-path chapter, and the code cell in which the Classifier chapter first predicts.
"""
import argparse, ast, json, re, sys
import yaml
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXPORT = re.compile(r'^#\|\s*export', re.M)
DEFN = re.compile(r'^(?:@\w.*\n)*(?:async\s+)?(def|class)\s+\w+', re.M)
TARGETS = dict(followed=0.85, max_lines=40, max_params=12, max_width=120, max_cells=60, predict_within=8)

def main_path() -> list[str]:
    "The index and the chapters of the sidebar's 'Main path' section, by name."
    contents = yaml.safe_load((ROOT/'nbs'/'sidebar.yml').read_text())['website']['sidebar']['contents']
    section = next(c['contents'] for c in contents if isinstance(c, dict) and c.get('section') == 'Main path')
    return ['index'] + [Path(n).stem for n in section]

def chapters():
    "The book's notebooks, in file order."
    return sorted(p for p in (ROOT/'nbs').glob('*.ipynb') if not p.name.startswith('_'))

def code_cells(path):
    "The code cells of a notebook, as source strings."
    nb = json.loads(path.read_text())
    return [''.join(c['source']) for c in nb['cells'] if c['cell_type'] == 'code'], len(nb['cells'])

def followed(path):
    "Exported cells holding a definition in `path`, and how many of them the next code cell exercises."
    cells, _ = code_cells(path)
    defs = [i for i, s in enumerate(cells) if EXPORT.search(s) and DEFN.search(s)]
    return len(defs), sum(1 for i in defs if i + 1 < len(cells) and not EXPORT.search(cells[i + 1]))

def functions():
    "(qualified name, lines, parameters) for every function in the library."
    out = []
    for py in sorted((ROOT/'bert_senti').glob('*.py')):
        if py.name == '_modidx.py': continue
        for node in ast.walk(ast.parse(py.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                a = node.args
                n = len(a.posonlyargs + a.args + a.kwonlyargs) + bool(a.vararg) + bool(a.kwarg)
                n -= bool(a.args and a.args[0].arg in ('self', 'cls'))
                out.append((f'{py.stem}.{node.name}', node.end_lineno - node.lineno + 1, n))
    return out

def wide_lines():
    "Library lines over the width target, as 'module:line'."
    return [f'{py.stem}:{i}' for py in sorted((ROOT/'bert_senti').glob('*.py')) if py.name != '_modidx.py'
            for i, l in enumerate(py.read_text().splitlines(), 1)
            if len(l) > TARGETS['max_width'] and not l.startswith('__all__')]   # nbdev writes these two

def first_predict(path):
    "1-based index of the first code cell that calls a classifier's predict, or None."
    cells, _ = code_cells(path)
    return next((i + 1 for i, s in enumerate(cells) if re.search(r'\.predict(_proba)?\(|\bclf\(', s)
                 and not EXPORT.search(s)), None)

def stats():
    "Every counted number, and the list of what misses a target."
    counts = [followed(p) for p in chapters()]
    n_defs, n_followed = sum(c[0] for c in counts), sum(c[1] for c in counts)
    fns = functions()
    long = sorted(f'{n} ({l} lines)' for n, l, _ in fns if l > TARGETS['max_lines'])
    wide_params = sorted(f'{n} ({k} parameters)' for n, _, k in fns if k > TARGETS['max_params'])
    cells = {p.stem: code_cells(p)[1] for p in chapters() if p.stem in main_path()}
    predict = first_predict(ROOT/'nbs'/'11_classifier.ipynb')
    s = dict(definitions=n_defs, followed=n_followed, followed_share=round(n_followed / max(n_defs, 1), 3),
             long_functions=long, many_parameters=wide_params, wide_lines=len(wide_lines()),
             main_path_cells=cells, classifier_first_predict=predict)
    t = TARGETS
    s['missed'] = ([f"followed {s['followed_share']:.0%} < {t['followed']:.0%}"] * (s['followed_share'] < t['followed'])
                   + long + wide_params + [f"{s['wide_lines']} wide lines"] * bool(s['wide_lines'])
                   + [f'{k}: {v} cells' for k, v in cells.items() if v >= t['max_cells']]
                   + [f'Classifier predicts in code cell {predict}'] * (not predict or predict > t['predict_within']))
    return s

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--json', action='store_true', help='print JSON')
    args = p.parse_args(argv)
    s = stats()
    if args.json: print(json.dumps(s, ensure_ascii=False, indent=1))
    else:
        for k, v in s.items(): print(f'{k}: {v}')
    return 1 if s['missed'] else 0

if __name__ == '__main__': sys.exit(main())
