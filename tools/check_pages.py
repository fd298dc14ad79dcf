"""Check the book's pages as a reader meets them; exit status 1 and one line per problem when something is wrong.

    python tools/check_pages.py          # every notebook in nbs/

Found: development paths or words about how the project is made, code in markdown cells, `show_doc` output that is an
inherited torch docstring, and visible cells that print but have no committed output.
"""
import ast, json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV_PATHS = re.compile(r'\.\./shared|/work/|\.library|/tmp/w\b')
PROCESS = re.compile(r'\b(this session|previous session|issue #?\d+|TODO|FIXME|XXX|nbdev_export|nbdev_clean)\b', re.I)
TORCH_DOC = 'Define the computation performed at every call'
CODE_LINE = re.compile(r'^\s*(from \S+ import |import \w|def \w+\(|test_eq\(|test_fail\()')

def outputs_text(cell) -> str:
    "Everything a code cell's committed outputs show, as text."
    parts = []
    for o in cell.get('outputs', []):
        parts += o.get('text', []) if 'text' in o else []
        for k, v in o.get('data', {}).items():
            if k.startswith('text/'): parts += v if isinstance(v, list) else [v]
    return ''.join(parts)

def shows_something(src: str) -> bool:
    "True if the code calls `print`, draws with matplotlib, or is a `show_doc` (strings and comments do not count)."
    try: tree = ast.parse('\n'.join(l for l in src.splitlines() if not l.lstrip().startswith(('%', '!'))))
    except SyntaxError: return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ''
            owner = f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else ''
            if name in ('print', 'show_doc', 'plot') or owner == 'plt': return True
    return False

def problems(path: Path) -> list[str]:
    "What is wrong with one page."
    nb, out = json.loads(path.read_text(encoding='utf-8')), []
    for i, c in enumerate(nb['cells']):
        src = ''.join(c['source']); where = f'{path.name} cell {i}'
        hidden = re.search(r'^#\|\s*(hide|export|exporti|include:\s*false)', src, re.M)
        if c['cell_type'] == 'markdown':
            if DEV_PATHS.search(src): out.append(f'{where}: a development path ({DEV_PATHS.search(src).group(0)})')
            if PROCESS.search(src): out.append(f'{where}: words about the making ({PROCESS.search(src).group(0)!r})')
            prose = re.sub(r'^(```|~~~).*?^(```|~~~)', '', src, flags=re.M | re.S)   # fenced examples are fine
            if any(CODE_LINE.match(l) for l in prose.splitlines()):
                out.append(f'{where}: code in a markdown cell (make it a code cell)')
            continue
        if c['cell_type'] != 'code' or hidden: continue
        shown = outputs_text(c)
        if DEV_PATHS.search(shown): out.append(f'{where}: a development path in the output')
        if TORCH_DOC in shown: out.append(f"{where}: show_doc renders torch's inherited docstring")
        prints = shows_something(src)
        if prints and not c.get('outputs') and not re.search(r'^#\|\s*(slow|eval:\s*false)', src, re.M):
            out.append(f'{where}: prints or draws but has no committed output')
    return out

def main(argv=None):
    found = [p for nb in sorted((ROOT/'nbs').glob('*.ipynb')) if not nb.name.startswith('_') for p in problems(nb)]
    print('\n'.join(found) if found else 'pages: nothing found')
    return 1 if found else 0

if __name__ == '__main__': sys.exit(main())
