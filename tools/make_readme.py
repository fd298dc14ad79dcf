"Write README.md from nbs/index.ipynb without Quarto: markdown cells as they are, links pointed into nbs/."
import json, re
from pathlib import Path

def cell_markdown(cell) -> str:
    "Markdown for one notebook cell: prose as is, visible code as a fenced block."
    src = ''.join(cell['source'])
    if cell['cell_type'] == 'markdown': return src
    lines = [l for l in src.splitlines() if not l.startswith('#|')]
    hidden = re.search(r'^#\| *(hide|export|default_exp)', src, re.M)
    return '```python\n' + '\n'.join(lines) + '\n```' if lines and not hidden else ''

def main(root=Path(__file__).resolve().parent.parent):
    "Render the index notebook to README.md, relinking chapter notebooks."
    nb = json.loads((root/'nbs'/'index.ipynb').read_text(encoding='utf-8'))
    text = '\n\n'.join(filter(None, map(cell_markdown, nb['cells']))) + '\n'
    text = re.sub(r'\]\((\d\d[a-z]?_[\w-]+\.ipynb)\)', r'](nbs/\1)', text)
    (root/'README.md').write_text(text, encoding='utf-8')

if __name__ == '__main__': main()
